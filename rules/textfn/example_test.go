package textfn_test

import (
	"fmt"

	"github.com/modgate/modgate/rules/textfn"
)

func ExampleNormalize() {
	for _, s := range []string{
		"Ｆ.Ｒ.Ｅ.Ｅ  ｃｒｙｐｔ0!",
		"Ј3rk",
		"j\u200bérk",
		"$h1t happens",
		"I am a cat",
		"call 10:30 2024-01-15",
		"привет мир",
	} {
		fmt.Printf("%q\n", textfn.Normalize(s))
	}
	// Output:
	// "free crypto!"
	// "jerk"
	// "jerk"
	// "shit happens"
	// "i am a cat"
	// "call 10:30 2024-01-15"
	// "привет мир"
}

func ExampleWords() {
	fmt.Printf("%q\n", textfn.Words("Don’t STOP, it's 2024!"))
	// Output: ["don't" "stop" "it's" "2024"]
}

func ExampleHasWord() {
	fmt.Println(textfn.HasWord("You ASS!", []string{"ass"}))
	fmt.Println(textfn.HasWord("a classic", []string{"ass"}))
	fmt.Println(textfn.HasWord("get FREE, crypto", []string{"free crypto"}))
	fmt.Println(textfn.HasWord("ј3rk", []string{"jerk"}))
	fmt.Println(textfn.HasWord(textfn.Normalize("ј3rk"), []string{"jerk"}))
	// Output:
	// true
	// false
	// true
	// false
	// true
}

func ExampleHasSubstring() {
	fmt.Println(textfn.HasSubstring("a classic", []string{"ASS"}))
	// Output: true
}

func ExampleMask() {
	fmt.Println(textfn.Mask("Get FREE, crypto now, you ass!", []string{"free crypto", "ass"}))
	// Output: Get ************ now, you ***!
}

func ExampleURLs() {
	fmt.Printf("%q\n", textfn.URLs("see https://x.com/a?b, www.example.org. or cheap-pills.biz! (not file.txt, e.g, or bob@mail.com)"))
	// Output: ["https://x.com/a?b" "www.example.org" "cheap-pills.biz"]
}

func ExampleDomains() {
	fmt.Printf("%q\n", textfn.Domains("https://user@WWW.Example.com:8443/x and www.example.com/y"))
	// Output: ["www.example.com"]
}

func ExampleEmails() {
	fmt.Printf("%q\n", textfn.Emails("write to Bob.Smith@example.co.uk."))
	// Output: ["Bob.Smith@example.co.uk"]
}

func ExamplePhones() {
	fmt.Printf("%q\n", textfn.Phones("call +1 (555) 123-4567 or 0049 30 1234567, not 2024-01-15 or 10:30"))
	// Output: ["+1 (555) 123-4567" "0049 30 1234567"]
}

func ExampleCapsRatio() {
	fmt.Printf("%.2f\n", textfn.CapsRatio("STOP it"))
	// Output: 0.67
}

func ExampleEmojiCount() {
	fmt.Println(textfn.EmojiCount("hi 👋🏽 🇺🇸 👨‍👩‍👧 ©"))
	// Output: 3
}

func ExampleMatcher() {
	banned := textfn.NewMatcher([]string{"jerk", "free crypto", "JERK", " ", "!jerky"})
	fmt.Println(banned.Len())
	for _, msg := range []string{"what a JERK!", "get FREE, crypto now", "beef jerky", "ј3rk", "jerrrks"} {
		fmt.Println(banned.HasWord(msg), banned.HasWord(textfn.Normalize(msg)), banned.Mask(msg))
	}
	// Output:
	// 3
	// true true what a ****!
	// true true get ************ now
	// false false beef jerky
	// false true ј3rk
	// true true *******
}

func ExampleProfane() {
	for _, msg := range []string{"you f*cking b!tch", "fuuuck this sh1t", "Scunthorpe, cumin, cockpit", "fu ck off", "ғᴜᴄᴋ"} {
		fmt.Println(textfn.Profane(msg), textfn.Profanities(msg), textfn.Censor(msg))
	}
	// Output:
	// true [fuck bitch] you ******* *****
	// true [fuck shit] ****** this ****
	// false [] Scunthorpe, cumin, cockpit
	// true [fuck] ** ** off
	// true [fuck] ****
}

func ExampleParseEntry() {
	for _, s := range []string{"wank*", "*fuck*", "!cockpit", "free crypto", "*a*", "**"} {
		e, err := textfn.ParseEntry(s)
		fmt.Printf("%q %d %v %v\n", e.Root, e.Kind, e.Except, err)
	}
	// Output:
	// "wank" 1 false <nil>
	// "fuck" 2 false <nil>
	// "cockpit" 0 true <nil>
	// "free crypto" 0 false <nil>
	// "" 0 false too short to be safe (a * entry needs at least 3 letters)
	// "" 0 false empty root
}
