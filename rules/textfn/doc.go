// Package textfn holds the text functions of modgate's rule expressions:
// normalization against evasion, whole-word and phrase matching against word
// lists, and extraction of links, e-mail addresses, phone numbers and simple
// statistics from chat messages. It is plain Go with no dependency on the
// expression engine; package rules registers these functions under the
// lower-case names of SPEC §6 (normalize, words, hasWord, …).
//
// Every function accepts any string, including invalid UTF-8, and never
// panics. Functions returning a list return an empty, non-nil slice when
// there is nothing to return, so that it encodes as JSON [].
//
// # Matching text
//
// Matching ignores case: the text and the list entries are both folded with
// simple Unicode case folding ("ASS", "Ass" and "ass" are the same; so are
// σ, ς and Σ, and ı, I and i). It does not otherwise change the text: accents,
// look-alike letters and leetspeak are compared as they are. To see through
// those, match the normalized text, and write the list in normalized form
// (lower case, no accents), for instance by passing each entry through
// Normalize:
//
//	hasWord(normalize(text), lists.banned)
//
// A word is a maximal run of letters, digits and combining marks; every other
// character (space, punctuation, symbol, emoji) is a boundary.
//
//   - HasWord(s, list) reports whether an entry occurs in s as a whole word or
//     phrase. The match must start and end at word boundaries: "ass" matches
//     "you ass!", "ASS" and "shit's" does match "shit", but "ass" does not
//     match "classic", "assistant" or "bass", nor "rape" "grape" or
//     "therapist" (the Scunthorpe problem). An apostrophe is a boundary here.
//   - An entry made of words separated by spaces is a phrase: it matches
//     those words in a row separated by any run of spaces, punctuation or
//     symbols, so "free crypto" matches "get FREE   crypto", "free, crypto"
//     and "free-crypto", but not "free cryptocurrency".
//   - An entry that contains punctuation or symbols ("a$$", "a-hole", "c++",
//     "🍆") matches literally (ignoring case and the amount of white space).
//     Its ends that are letters or digits must be at word boundaries; its ends
//     that are symbols need none, so "a$$" matches "a$$hole" but not "ba$$",
//     and "🍆" matches "🍆🍆".
//   - HasSubstring(s, list) reports whether the root of an entry occurs
//     anywhere in s, ignoring case and the amount of white space: "ass"
//     matches "classic". Spaces at the ends of an entry count (" ass" needs
//     a space before it). Exceptions play no part.
//   - Mask(s, list) replaces every rune of every HasWord match with "*",
//     including the spaces and punctuation inside a matched phrase, and
//     leaves everything else exactly as it was. The result has as many runes
//     as s (one "*" per rune, so "jérk" written with a combining accent, five
//     runes, becomes five stars).
//   - Blank entries are ignored everywhere.
//
// # Tolerances
//
// Whole-word matching (HasWord, Mask, a Matcher, and Profane) also sees
// through what normalization cannot undo:
//
//   - Stretched letters: each letter of an entry may repeat in the text,
//     "fuuuuck" and "shhhiiit" match "fuck" and "shit". A letter the entry
//     doubles must be doubled: "as" does not match "ass", "asss" does. Digits
//     never stretch ("100" is not "10").
//   - Inflections: a word entry, or the last word of a phrase, matches with
//     -s, -es, -ed, -er, -ers, -ing, -in or -y after it, its final consonant
//     doubled or not ("scam": scams, scammer, scammed; "shit": shitty), and an
//     entry ending in a single e drops it before them ("rape": raping,
//     raped, rapey, but not "rapping"). Nothing else: "idiotic" is not
//     "idiot", "scamper" is not "scam", "Dickens" is not "dick". An
//     inflection can turn an entry into an innocent word ("jerk": jerky,
//     jerkin): list that word as an exception. The s of an inflection never
//     stretches: "assess" is not "ass" + es.
//   - Masked letters: in a word of letters and mask characters
//     ("* # % - _ . ? ^ ~ + & !" inside it, "*" and "#" also at its end),
//     each mask character stands for one letter: "f*ck", "sh#t", "n**ga",
//     "b!tch", "mother******". The word must show at least two letters and
//     hide at most one more than it shows, must start with a letter, must
//     fit a single-word entry (inflected, or as the start of a word* entry,
//     or a *word* root at any offset), and must fit no exception: "f***"
//     shows too little, and a masked word that could be an exception is not
//     taken for the entry.
//   - Uneven splits: two neighbouring words of letters separated by spaces
//     or one joiner ("- . _ *" and the like), one of them a fragment of one
//     to three letters that is not a common English word, are also read as
//     one word: "fu ck", "bit ch", "sh it", "f uck". The entry must span
//     both pieces, so "pen is", "tit in" and "cum in" are not "penis",
//     "titin" and "cumin" read as inflections. Longer pieces are not joined
//     ("as shole" is missed), nor is the tail of a contraction after its
//     apostrophe ("it's hit" is not "shit").
//
// # List entries
//
// List entries say how they match, in lists of rule files (inline and list
// files alike), in the built-in dataset and in NewMatcher:
//
//	word     the whole word or phrase, with the tolerances above
//	word*    any word starting with it ("wank*": wanker, wanking)
//	*word*   anywhere, even inside other words ("*fuck*": motherfucker)
//	!word    an exception: never matches, even where an entry occurs in it
//	         ("!cockpit", "!scunthorpe", "!cumin"); also !word* and !*word*
//
// A word* or *word* match covers its whole word (Mask stars "wanker", not
// "wank"). An exception covers the words it matches; any match lying within
// them is dropped. Exceptions match exactly, without inflections ("!bitche"
// does not excuse "bitches"). Two words glued by one joiner are also read
// as one for whole-word exceptions ("shuttle_cock" is "!shuttlecock"), never
// for !word* or !*word* ones, and two spaced words never are. The root of word* and *word* must be letters,
// digits and spaces, at least three letters ("*as*" would match half the
// dictionary). ParseEntry parses one entry; CompileList reports every
// malformed entry ("**", "!", "*a*", "*word" without its closing *) as an
// *EntryError, and NewMatcher leaves them out.
//
// # The built-in dataset
//
// Profane(s) reports whether the normalized s contains an entry of the
// built-in English dataset (data/profanity-en.txt, embedded with go:embed:
// profanity, explicit sexual terms and slurs, with common respellings such
// as phuck, fcuk and biatch, and exceptions for the innocent words its
// entries would hit). Profanities(s) returns the entries found, in
// canonical spelling (a respelling names its word in a trailing comment,
// "phuck  # = fuck", so Profanities("phuck") is ["fuck"]), in order of
// appearance, each once. Censor(s) returns
// s with each match replaced by one "*" per rune, mapped from the
// normalized text back to the runes of s chunk by chunk (a chunk is a run
// of non-space characters; a spaced-out word is starred whole). Dataset
// returns the compiled dataset and its problems.
//
// HasWord, HasSubstring and Mask with a list argument are for short inline
// lists: they compile the list (ListMatcher keeps the 256 lists compiled
// last). For a named list, used on every message, compile it once with
// NewMatcher: a Matcher runs the text once through an Aho-Corasick
// automaton over the squeezed word stream, so a list of 100,000 entries
// costs about what a list of 100 does (one or two microseconds for a
// 100-byte message, without allocating), and takes about 30 MiB and half a
// second to build. Masked words are compared with the list's single-word entries of
// the same first letter and near length, and with its *word* roots; a
// message without a masked word costs one look at its bytes for them.
//
// Words(s) returns the lower-cased words of s. Unlike HasWord, it keeps an
// apostrophe between two word characters inside the word ("don't", "it's",
// "rock'n'roll"), writing ’ as '.
//
// # What Normalize does
//
// Normalize(s) returns the text as a filter should see it. It is meant for
// matching, not for display: its output can look odd ("@john" becomes
// "ajohn", an e-mail address loses its "@"). In order:
//
//  1. Compatibility decomposition (NFKD, Unicode 15.0): fullwidth letters,
//     mathematical alphanumerics (𝐣𝐞𝐫𝐤), circled letters (ⓙ), ligatures (ﬁ)
//     and superscripts become plain letters and digits, and accented letters
//     come apart into letter and accent.
//  2. Lower case, by simple Unicode case folding, plus ß → ss.
//  3. Invisible characters are deleted: format characters (Cf: zero-width
//     space, joiners and non-joiner, word joiner, soft hyphen, bidi controls
//     and overrides, BOM, tag characters), variation selectors, the other
//     default-ignorable code points (Hangul fillers, combining grapheme
//     joiner), control characters other than white space, private-use
//     characters, U+FFFD and invalid UTF-8 bytes. "j\u200berk" is "jerk".
//  4. Diacritics are removed from Latin letters, digits and symbols: "jérk",
//     "Z̸̢a̷l̴g̶o̵" and "ṡḷụṭ" become "jerk", "zalgo" and "slut". Accents on
//     letters of other scripts stay, because they are part of the spelling
//     there (Greek tonos, Cyrillic й and ё, Devanagari vowel signs, Hebrew
//     points); they go only when their letter is folded to Latin (step 6).
//  5. Spaced-out words are glued: three or more single characters, at least
//     two of them letters, separated by the same kind of gap made of spaces
//     and/or ". - _ * ~ + / \ = # ^ ` ' \" : · •" (at most three characters,
//     a run of spaces counting as one) become one word: "f.r.e.e",
//     "f r e e", "f-r-e-e", "f_r_e_e", "f*r*e*e", "f. r. e. e" are "free",
//     and "f.r.e.e c.r.y.p.t.o" is "free crypto". Two single letters ("a b",
//     "e.g.") are left alone, and so is "I am a cat". A run of single letters
//     that are real words ("a b c d") is glued too.
//  6. Look-alike characters are folded to Latin. The table is generated from
//     Unicode's confusables.txt (UTS #39, version 13.0, through
//     github.com/mtibben/confusables) and Unicode character names: every
//     character whose confusable prototype, read as steps 1 to 4 read text,
//     is one to three ASCII letters or digits (Cyrillic а → a, Greek ο → o,
//     Cyrillic К → k, ø → o, ɪ → i, ∞ → oo, × → x), and every decorated Latin
//     letter without a decomposition (🅹 → j, 🇺 → u, ꜱ → s). Folding a
//     character that has nothing to do with Latin would destroy text written
//     in other scripts, so a token (a run of letters, digits, marks,
//     leetspeak symbols and foldable symbols) is folded only when it reads as
//     Latin: (a) when it has a Latin letter, that is when it mixes scripts
//     ("јerk" with a Cyrillic ј, "fuсk" with a Cyrillic с, "ιdιοt" with Greek
//     ι and ο); (b) when it has none but every letter in it has a Latin
//     look-alike ("ѕех", all Cyrillic) and the text is not genuinely written
//     in that letter's script. It is genuinely written in a script when
//     another token without Latin letters has a letter of that script with
//     no Latin look-alike ("привет", with п and и) or with an accent of the
//     script's spelling ("κόσμε", "ещё"), or when no token of the text has a
//     Latin letter and at least two have letters ("γεια σου", "это сор").
//     So "привет мир" and "Γειά σου κόσμε" stay as they are, while a
//     message of just "нет" reads as "het".
//     Symbols with a look-alike are only folded inside such a token: "g∞gle"
//     is "google" but "5×3" stays.
//  7. Leetspeak is undone in the tokens that step 6 reads as Latin (so never
//     in a pure number, which has no letter): the digits 0 1 3 4 5 7 8 9
//     become o i e a s t b g when they come in runs of one or two (longer
//     runs are numbers: "user123"), "@" becomes a and "$" s anywhere, "€" e,
//     and "|" and "§" become l and s only between letters
//     and digits, but "!" stays: inside a word it is a masked letter for
//     matching ("sh!t", "f!ck"), not always an i. "88" inside a word reads
//     "gg" ("ni88er", "fa88ot"). "@" counts as a
//     letter, so "@$$" is "ass". A number followed by a unit or an ordinal
//     suffix is left alone: "10am", "5pm", "1st", "100km", "4k", "3d". "2024",
//     "2024-01-15", "10:30", "+1 555" and "$100" have no letter and stay.
//  8. White space of every kind becomes a single space; leading and trailing
//     space is removed. Other punctuation and emoji stay where they are.
//  9. The result is put in NFC (letters of other scripts recomposed with
//     their accents, Hangul jamo into syllables).
//
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s) for every
// s (fuzzed, and checked for every code point), and its result is valid UTF-8
// in NFC. It takes about 1.3 µs for a 100-byte ASCII message and 3 to 6 µs
// for one with accents or in another script, allocating only the result.
//
// # What Normalize does not do
//
//   - It does not collapse repeated letters ("fuuuck", "shiiit") or remove
//     punctuation inside words ("f*ck", "sh.it" stay): matching tolerates
//     those (see Tolerances). It does not undo multi-letter substitutions
//     ("ph" for f, "|<" for k, "vv" for w, "rn" for m): list such
//     respellings.
//   - It does not translate or transliterate other scripts: "сука" stays
//     Cyrillic. A list meant for Cyrillic text should be written in Cyrillic
//     and passed through Normalize like any other.
//   - It does not fold ASCII characters into each other: "0" and "o", "1" and
//     "l" are distinct except through the leetspeak rules of step 7.
//   - Confusables whose prototype is not ASCII (Cyrillic и, Greek λ, most
//     symbols) are left alone, as are letters outside the table's Unicode
//     13.0 data.
//   - It is a heuristic: a genuine word can be changed (a single word
//     written wholly with look-alike letters is read as Latin; "mp3" becomes
//     "mpe") and a determined writer can still get through (for example by
//     surrounding all-Cyrillic look-alike words with other Cyrillic words).
//     Its purpose is to make the common evasions fail, cheaply.
//
// # Links, addresses and numbers
//
// URLs(s) finds links with a scheme ("https://x.com/a?b", any scheme before
// "://"), "www." names and bare domain names with an optional port and path
// ("cheap-pills.biz", "shop.example.co.uk/offer"). A bare name must end in a
// top-level domain of the public suffix list (golang.org/x/net/publicsuffix;
// international names are checked through their punycode), so "e.g",
// "file.txt", "3.14" and "v1.2" are not links. A few real top-level domains
// are mostly file extensions; a bare name ending in .zip, .mov, .py, .md or
// .sh ("report.zip", "setup.py") is taken for a file name, but the same name
// with a scheme, "www.", a port or a path ("evil.zip/x") is a link. An e-mail
// address is not a link. Trailing punctuation (". , ; : ! ? ' \" *", closing
// brackets that were not opened inside the link, and non-ASCII punctuation
// such as "»" or "。") is not part of a link. Domains(s) returns the
// lower-cased host names of those links, without scheme, user, port or final
// dot, each once. Emails(s) returns the e-mail addresses: letters, digits and
// ". _ % + -" before an "@", and a domain with a real top-level domain after
// it; the user part of a link ("ftp://me@host.com") is not an address.
//
// Phones(s) finds phone numbers of 7 to 15 digits in groups separated by
// single spaces, hyphens, dots or slashes, with an optional leading "+" and
// one group in parentheses ("+1 (555) 123-4567", "+44 20 7946 0958",
// "0049 30 1234567", "555-123-4567"). It rejects dates, times, prices, IP
// addresses, decimal numbers and numbers touching letters; a single run of
// digits needs a "+" or at least 10 digits, and a number without "+", leading
// "0" or parentheses must have a North American shape (555-1234,
// 555-123-4567, 1 555 123 4567), which keeps "100 200 300" and "1990-2000"
// out.
//
// CapsRatio(s) is the share of upper-case letters among the letters that
// have case; letters without case (Chinese, Arabic, …) are not counted.
// EmojiCount(s) counts emoji as a reader sees them: a flag, a keycap, an
// emoji with a skin tone and a sequence joined with zero-width joiners are
// one emoji each, and characters that display as text by default ("©",
// "™", "☺") count only when followed by the emoji variation selector U+FE0F.
// Its data is emoji-data.txt of Unicode 15.0.
//
// # Examples
//
//	Normalize("Ｆ.Ｒ.Ｅ.Ｅ  ｃｒｙｐｔ0!")   // "free crypto!"
//	Normalize("Ј3rk")                  // "jerk" (Cyrillic Ј, leet 3)
//	Normalize("j\u200bérk")            // "jerk"
//	Normalize("$h1t happens")          // "shit happens"
//	Normalize("I am a cat")            // "i am a cat"
//	Normalize("call 10:30 2024-01-15") // "call 10:30 2024-01-15"
//	Normalize("привет мир")            // "привет мир"
//	Normalize("🇺🇸 🎉")                 // "us 🎉"
//	Words("Don’t STOP, it's 2024!")    // ["don't" "stop" "it's" "2024"]
//	HasWord("You ASS!", []string{"ass"})                 // true
//	HasWord("a classic", []string{"ass"})                // false
//	HasWord("get FREE, crypto", []string{"free crypto"}) // true
//	HasSubstring("a classic", []string{"ASS"})           // true
//	Mask("Get FREE, crypto now, you ass!", []string{"free crypto", "ass"})
//	                                   // "Get ************ now, you ***!"
//	URLs("see https://x.com/a?b, www.example.org. or cheap-pills.biz! (not file.txt, e.g, or bob@mail.com)")
//	                                   // ["https://x.com/a?b" "www.example.org" "cheap-pills.biz"]
//	Domains("https://user@WWW.Example.com:8443/x and www.example.com/y")
//	                                   // ["www.example.com"]
//	Emails("write to Bob.Smith@example.co.uk.") // ["Bob.Smith@example.co.uk"]
//	Phones("call +1 (555) 123-4567 or 0049 30 1234567, not 2024-01-15 or 10:30")
//	                                   // ["+1 (555) 123-4567" "0049 30 1234567"]
//	CapsRatio("STOP it")               // 0.6666666666666666
//	EmojiCount("hi 👋🏽 🇺🇸 👨‍👩‍👧 ©")       // 3
//
//	banned := NewMatcher([]string{"jerk", "free crypto", "!jerky"})
//	banned.HasWord("what a JERK!")       // true
//	banned.HasWord("jeeerks")            // true
//	banned.HasWord("beef jerky")         // false
//	banned.HasWord(Normalize("ј3rk"))    // true
//	banned.Mask("get FREE, crypto now")  // "get ************ now"
//	banned.Len()                         // 3
//	Profane("you f*cking b!tch")         // true
//	Profanities("fuuuck this sh1t")      // ["fuck" "shit"]
//	Censor("what the fuuuck")            // "what the ******"
//	Profane("Scunthorpe, cumin, cockpit") // false
//
// The generated tables (table_fold.go, table_emoji.go) are rebuilt with
// "go test ./rules/textfn -run TestTable -update"; without -update that test
// fails if they are stale.
package textfn
