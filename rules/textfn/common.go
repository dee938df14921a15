package textfn

// commonWords are the English words of one to three letters that uneven
// splits never take for a fragment of a longer word: "pen is" is not
// "penis", but "bit ch" is "bitch" because "ch" is no word. Common short
// names and abbreviations are here too ("al", "ed", "ok").
var commonWords = map[string]struct{}{}

// commonBits holds commonWords as a bit set over short ASCII words, which
// isFragment asks about for nearly every short word of every message.
var commonBits [27*27*27/64 + 1]uint64

// shortIndex numbers the words of one to three ASCII letters, ignoring
// case; ok is false for anything else.
func shortIndex(w string) (int, bool) {
	if len(w) == 0 || len(w) > 3 {
		return 0, false
	}
	k := 0
	for i := 0; i < 3; i++ {
		d := 0
		if i < len(w) {
			c := w[i] | 0x20
			if c < 'a' || c > 'z' {
				return 0, false
			}
			d = int(c-'a') + 1
		}
		k = k*27 + d
	}
	return k, true
}

func init() {
	for _, w := range []string{
		"a", "i", "o", "u", "x", "y",
		"ad", "ah", "al", "am", "an", "as", "at", "aw", "ax", "ay", "be", "bo", "by", "da", "de", "di", "do",
		"ed", "eh", "el", "em", "en", "er", "ex", "fa", "fi", "go", "ha", "he", "hi", "hm", "ho", "id", "if",
		"in", "is", "it", "jo", "ka", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "mr", "ms", "mu", "my",
		"na", "ne", "no", "nu", "of", "oh", "ok", "on", "op", "or", "ow", "ox", "oy", "pa", "pi", "po", "re",
		"sa", "se", "si", "so", "ta", "te", "ti", "to", "tv", "ty", "uh", "um", "un", "up", "us", "vs", "we",
		"wo", "ya", "ye", "yo",
		"ace", "act", "add", "ado", "age", "ago", "aid", "aim", "air", "ale", "all", "amp", "and", "ant",
		"any", "ape", "app", "apt", "arc", "are", "ark", "arm", "art", "ash", "ask", "ate", "awe", "axe",
		"bad", "bag", "ban", "bar", "bat", "bay", "bed", "bee", "beg", "bet", "bib", "bid", "big", "bin",
		"bio", "bit", "bob", "bog", "boo", "bow", "box", "boy", "bra", "bro", "bud", "bug", "bun", "bus",
		"but", "buy", "bye", "cab", "can", "cap", "car", "cat", "cow", "cry", "cub", "cup", "cut", "dad",
		"dam", "day", "den", "dew", "did", "die", "dig", "dim", "dip", "doc", "doe", "dog", "don", "dot",
		"dry", "dub", "due", "dug", "duo", "dye", "ear", "eat", "ebb", "egg", "ego", "elf", "elk", "elm",
		"emu", "end", "era", "eve", "eye", "fan", "far", "fat", "fax", "fed", "fee", "few", "fig", "fin",
		"fir", "fit", "fix", "flu", "fly", "foe", "fog", "for", "fox", "fry", "fun", "fur", "gap", "gas",
		"gel", "gem", "get", "gig", "gin", "god", "got", "gum", "gun", "gut", "guy", "gym", "had", "ham",
		"has", "hat", "hay", "hen", "her", "hey", "hid", "him", "hip", "his", "hit", "hop", "hot", "how",
		"hub", "hue", "hug", "hum", "hut", "ice", "icy", "ill", "imp", "ink", "inn", "ion", "its", "ivy",
		"jab", "jam", "jar", "jaw", "jay", "jet", "jew", "job", "jog", "joy", "jug", "key", "kid", "kin",
		"kit", "lab", "lad", "lag", "lap", "law", "lay", "led", "leg", "let", "lid", "lie", "lip", "lit",
		"log", "lot", "low", "mad", "man", "map", "mat", "max", "may", "men", "met", "mid", "mix", "mob",
		"mom", "mop", "mud", "mug", "mum", "nag", "nap", "net", "new", "nil", "nod", "nor", "not", "now",
		"nun", "nut", "oak", "oar", "odd", "off", "oft", "oil", "old", "one", "opt", "orb", "ore", "our",
		"out", "owe", "owl", "own", "pad", "pal", "pan", "par", "pat", "paw", "pay", "pea", "peg", "pen",
		"pep", "per", "pet", "pie", "pig", "pin", "pit", "ply", "pod", "pop", "pot", "pro", "pry", "pub",
		"pun", "pup", "put", "rag", "ram", "ran", "rap", "rat", "raw", "ray", "red", "rib", "rid", "rig",
		"rim", "rip", "rob", "rod", "roe", "rot", "row", "rub", "rug", "rum", "run", "rut", "rye", "sad",
		"sag", "sat", "saw", "say", "sea", "see", "set", "sew", "she", "shy", "sin", "sip", "sir", "sis",
		"sit", "six", "ski", "sky", "sly", "sob", "sod", "son", "sow", "soy", "spa", "spy", "sub", "sue",
		"sum", "sun", "tab", "tag", "tan", "tap", "tar", "tax", "tea", "ted", "tee", "ten", "the", "thy",
		"tie", "tin", "tip", "toe", "tom", "ton", "too", "top", "tot", "tow", "toy", "try", "tub", "tug",
		"two", "use", "van", "vat", "vet", "via", "vow", "wad", "wag", "war", "was", "wax", "way", "web",
		"wed", "wee", "wet", "who", "why", "wig", "win", "wit", "woe", "wok", "won", "woo", "wow", "yak",
		"yam", "yap", "yaw", "yay", "yea", "yes", "yet", "yew", "you", "zap", "zen", "zip", "zoo",
		"abs", "ads", "ags", "bbq", "btw", "ceo", "dna", "etc", "faq", "fyi", "gps", "lol", "omg", "pdf",
		"ann", "ben", "bill", "dan", "eva", "ian", "jim", "joe", "kay", "ken", "kim", "lee", "liz", "pam",
		"pat", "ray", "rob", "ron", "roy", "sam", "sue", "tim", "tom", "amy", "ana", "bob", "eve",
	} {
		commonWords[w] = struct{}{}
		if k, ok := shortIndex(w); ok {
			commonBits[k/64] |= 1 << (k % 64)
		}
	}
}
