package understand

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// Who is speaking. A speaker who is not the borrower shows it in a few
// ways, in any wording: they say who they are relative to the account
// holder (I'm her mom, 我是他同事), name the holder as their own relation
// (he's my son, 他是我儿子), say the holder is away (she's not home,
// 他不在), act or ask for the holder (she asked me to, 帮她问), hold the
// holder's phone (my sister's phone, 这是我爸的手机, 捡到的), talk about the
// holder's debt in the third person (how much she owes), or say the number
// is not the holder's (wrong number, 打错了, this is my number now). The
// word classes are data (party.json); this file combines them.
//
// Pronouns are resolved the simple way: once the speaker mentions a
// relation of their own ("my wife", 我老婆), he/she most likely refers to
// that person, so signs that rest on a pronoun alone no longer count; a
// self-identification or the borrower's own name still does.

//go:embed party.json
var partyJSON []byte

type partyWords struct {
	Family       []string `json:"family"`
	Roles        []string `json:"roles"`
	ArticleRoles []string `json:"article_roles"`
	Absent       []string `json:"absent"`
	Relay        []string `json:"relay"`
	Device       []string `json:"device"`
	Money        []string `json:"money"`
	Wrong        []string `json:"wrong"`
	// IdentityData are the identity answers a speaker may give as the
	// holder's (his birthday is, her last four are).
	IdentityData []string `json:"identity_data"`
	// Authority is acting for the holder under a document (a power of
	// attorney, an executor).
	Authority []string `json:"authority"`
	// Agents act for the holder (her lawyer, 她的律师); read only in a
	// self-identification, since the borrower mentions their own.
	Agents []string `json:"agents"`
	// Someone is how a speaker names the holder without a pronoun (这姑娘,
	// 这个人, 租客).
	Someone []string `json:"someone"`
}

// partyRule is one compiled sign; pronoun rules rest on he/she alone.
type partyRule struct {
	re      *regexp.Regexp
	pronoun bool
	gate    *gate
}

// partyReader holds the compiled signs of both languages.
type partyReader struct {
	third, wrong     []partyRule
	zhThird, zhWrong []partyRule
	firstRel         *regexp.Regexp // "my wife": he/she now refer to them
	zhFirstRel       *regexp.Regexp
}

// Name placeholders: the borrower's names are replaced before matching.
const (
	enName = "xname"
	zhName = "Ⓝ"
	// zhSurname stands for the borrower's surname after 姓 (我姓刘).
	zhSurname = "Ⓢ"
)

func alt(words []string) string {
	ws := append([]string(nil), words...)
	// Longest first, so that "mother in law" wins over "mother".
	sort.Slice(ws, func(i, j int) bool { return len(ws[i]) > len(ws[j]) })
	for i, w := range ws {
		ws[i] = regexp.QuoteMeta(w)
	}
	return "(?:" + strings.Join(ws, "|") + ")"
}

func compileParty() (*partyReader, error) {
	var f struct {
		EN partyWords `json:"en"`
		ZH partyWords `json:"zh"`
		ES partyWords `json:"es"`
		PY partyWords `json:"py"`
	}
	if err := json.Unmarshal(partyJSON, &f); err != nil {
		return nil, fmt.Errorf("party.json: %w", err)
	}
	pr := &partyReader{}
	var errs []string
	// Each call's patterns are checked one by one (so that an error
	// names the pattern), then compiled as one alternation (one pass over
	// the message), run only when the gate g is open.
	var g *gate // the gate of the patterns added next
	add := func(dst *[]partyRule, pronoun bool, pats ...string) {
		for _, p := range pats {
			if _, err := regexp.Compile(p); err != nil {
				errs = append(errs, err.Error())
			}
		}
		re, err := regexp.Compile("(?:" + strings.Join(pats, ")|(?:") + ")")
		if err != nil {
			errs = append(errs, err.Error())
			return
		}
		*dst = append(*dst, partyRule{re: re, pronoun: pronoun, gate: g})
	}

	// English, on lower-case words separated by single spaces, apostrophes
	// dropped (she's -> shes, kevin's -> kevins), the borrower's names
	// replaced by xname (xnames for a possessive).
	e := f.EN
	rel := alt(append(append([]string{}, e.Family...), e.Roles...))
	self := `(?:this is|its|it is|im|i am|i m|here is)`
	fill := `(?:(?:actually|just|only|the|a|an|one of|mr|mrs|ms|miss|dr|uh|um|oh|ok|yeah|hi|hello)\s+)*`
	poss := `(?:his|her|their|xnames|[a-z]{3,}s)`
	subj := `(?:he|she|hes|shes)`
	relWords := append(append([]string{}, e.Family...), e.Roles...)
	// Each group runs only when the message holds a word all its
	// patterns need: a relation word, the borrower's name, ...
	g = newGate(relWords)
	add(&pr.third, false,
		`\b`+self+`\s+`+fill+poss+`\s+(?:[a-z]+\s+){0,2}?`+rel+`\b`,
		`\b(?:his|her|xnames)\s+`+rel+`\s+(?:here|speaking)\b`,
		`\b(?:he is|she is|hes|shes|xname is|xnames)\s+(?:my|our)\s+(?:[a-z]+\s+)?`+rel+`\b`,
		`\bmy\s+`+rel+`s?\s+(?:`+alt(e.Device)+`|number|line)\b`,
		// The holder's debt, or asking for them, through the speaker's own
		// relation: "my son's loan", "calling about my mom".
		`\bmy\s+`+rel+`s?\s+(?:loan|loans|debt|debts|account|bill|bills|balance|payment|payments|card|credit)\b`,
		`\b(?:asking|calling|writing|texting|checking|messaging|answering|replying|here)\s+(?:for|on behalf of|about)\s+my\s+`+rel+`\b`,
		`\bmy\s+`+rel+`\s+(?:is|has|had|took|opened|got|signed)\b(?:\s+\w+){0,6}?\s+(?:loan|account|debt|card)\b`,
	)
	g = newGate(append(append([]string{}, e.Agents...), "represent", "representing", "client"))
	add(&pr.third, false,
		`\b`+self+`\s+`+fill+poss+`\s+(?:[a-z]+\s+){0,2}?`+alt(e.Agents)+`\b`,
		`\b(?:i|we)\s+(?:represent|am representing|are representing|m representing)\s+(?:xname|mr|mrs|ms|miss|him|her|them|the borrower|the account holder)\b`,
		`\b(?:on behalf of|representing|for)\s+my client\b`, `\bmy client\s+(?:xname|mr|mrs|ms|miss|asked me)\b`,
	)
	g = newGate(e.ArticleRoles)
	add(&pr.third, false, `\b`+self+`\s+(?:actually\s+|just\s+)?(?:a|an|the)\s+`+alt(e.ArticleRoles)+`\b`)
	g = newGate([]string{enName, enName + "s"})
	add(&pr.third, false,
		`\bxname\s+works?\s+(?:for|with)\s+me\b`,
		// The speaker beside the holder ("keisha and i split up"), or a
		// message for the holder by name ("a message came in for ...").
		`\bxname\s+and\s+(?:i|me)\b`, `\b(?:me|i)\s+and\s+xname\b`,
		`\b(?:message|messages|call|calls|text|texts|letter|mail|voicemail)\s+(?:\w+\s+){0,2}?for\s+xname\b`,
		// A role of the holder's (the foreman on her crew, the property
		// manager for his building).
		`\b(?:manager|foreman|supervisor|landlord|owner|office|department|desk|staff|lead|leader|dispatcher|coach|teacher)\s+(?:on|for|of|at|from)\s+xnames\b`,
		`\bxnames?\s+(?:(?:is|s|was|has|been|just|currently|still|right now|rn)\s+){0,3}`+alt(e.Absent)+`\b`,
		`\bxname\s+`+alt(e.Relay)+`\s+(?:me|to)\b`,
		`\bxnames\s+(?:old\s+)?`+alt(e.Device)+`\b`,
		`\bxnames\s+`+alt(e.Money)+`\b`,
		`\bxname\s+(?:still\s+)?(?:owes|owe|owed|doesnt owe|does not owe|dont owe|has to pay|needs to pay|in (?:some kind of |any |some )?trouble)\b`,
		// The holder by name as the subject of a question about them.
		`\b(?:is|does|did|has|was|can|will)\s+xname\s+(?:in|ok|okay|there|home|around|alright|available|coming|going|gonna|sick|dead|supposed|able|still|at|out|owe|owes|paying|pay|behind|late)\b`,
		`\b(?:where is|wheres|whats wrong with|what happened to)\s+xname\b`,
		`\b(?:about|regarding)\s+xnames?\b`,
	)
	g = newGate([]string{"behalf", "door", "managing", "manage", "handling", "handle", "handles", "check", "checking",
		"found", "left", "whose", "company", "work", "office", "business", "resources", "hr", "payroll"})
	add(&pr.third, false,
		// A phone found or left behind, a phone of an organisation: not
		// the holder's own line.
		`\b(?:found|someone left|somebody left|left behind|picked up)\s+(?:this|a|the)\s+(?:phone|cell|cellphone|mobile)\b`,
		`\bwhose\s+(?:phone|cell|number)\b`, `\bwhose\s+it\s+is\b`,
		`\b(?:our|the)\s+(?:company|work|office|business|shop|store)\s+(?:phone|phones|line|lines|cell|cells)\b`,
		`\b(?:this is|im|i am|im with|calling from|writing from|from)\s+(?:the\s+)?(?:human resources|hr|payroll|personnel)\b`,
		`\b(?:live|lives|living)\s+next door\b`,
		`\bon (?:his|her|xnames) behalf\b`, `\bon behalf of\b`,
		`\b(?:managing|manage|handling|handle|handles|check|checking)\s+(?:this\s+)?(?:for\s+)?(?:his|her|xnames|him|her)\b`,
	)
	// On the holder's phone, or giving the holder's identity data as
	// someone else's: whoever "his" is, the speaker is not the holder
	// (not pronoun rules: "my dad ... this is his phone now").
	g = newGate([]string{"his", "her", "hers", "xnames"})
	add(&pr.third, false,
		`\b(?:this is|this was|its|it is|it was|im on|i am on|using|on|from|texting from|writing from|answering)\s+(?:his|her|xnames)\s+(?:old\s+)?`+alt(e.Device)+`\b`,
		`\b(?:his|her|xnames)\s+`+alt(e.IdentityData)+`\s+(?:is|are|was|were|s|ends|numbers|digits)\b`,
	)
	// A power of attorney, an executor: acting for the holder under a
	// document is still not being the holder in this channel.
	g = newGate([]string{"attorney", "poa", "executor", "executrix", "administrator", "conservator", "conservatorship", "guardian", "durable"})
	add(&pr.third, false,
		`\b(?:i|ive|i have|i hold|i got|i am|im|we|weve|we have)\b(?:\s+\w+){0,3}?\s+`+alt(e.Authority)+`\b`,
		`\b`+alt(e.Authority)+`\s+(?:for|over|of)\s+(?:my|his|her|xname|xnames|the estate)\b`,
	)
	// Spanish mixed in: soy su esposa, numero equivocado (accents folded).
	s := f.ES
	g = newGate([]string{"soy", "habla", "somos", enName, "el", "ella"})
	add(&pr.third, false,
		`\b(?:soy|somos)\s+(?:su|sus|la|el|tu|una|un)\s+`+alt(s.Family)+`\b`,
		`\b(?:habla|le habla|te habla|aqui)\s+(?:su|la|el)\s+`+alt(s.Family)+`\b`,
		`\b(?:el|ella|xname)\s+`+alt(s.Absent)+`\b`,
		`\bxname\s+no\s+habla\b`,
	)
	g = newGate([]string{"equivocado", "equivocada", "equivoco", "conozco", "vive", "mio"})
	add(&pr.wrong, false, `\b`+alt(s.Wrong)+`\b`)
	// Pinyin typed by a zh-CN speaker: wo shi ta tong shi, ta bu zai.
	py := f.PY
	g = newGate([]string{"wo", "ta"})
	add(&pr.third, false,
		`\bwo\s+shi\s+(?:ta|xname)\s+(?:de\s+)?`+alt(append(append([]string{}, py.Family...), py.Roles...))+`\b`,
		`\b(?:ta|xname)\s+(?:jin\s*tian\s+|xian\s*zai\s+)?`+alt(py.Absent)+`\b`,
	)
	g = newGate([]string{"he", "she", "hes", "shes", "his", "her", "him", "hers"})
	add(&pr.third, true,
		`\b(?:his|her)\s+(?:stuff|things|junk|messages|texts|calls|mail|bills)\b(?:\s+\w+){0,2}?\s+(?:to|on)\s+my\s+(?:phone|number|line|cell)\b`,
		`\b(?:is|does|did|has|was|will|can)\s+(?:he|she)\s+(?:behind|late|owe|owing|paying|in trouble|in debt|on time)\b`,
		`\b`+subj+`\s+(?:(?:is|s|was|has|been|just|currently|still|right now|rn)\s+){0,3}`+alt(e.Absent)+`\b`,
		`\b(?:he|she)\s+`+alt(e.Relay)+`\s+(?:me|to)\b`,
		`\b(?:tell|give|pass|forward|show|let)\s+(?:it\s+)?(?:back\s+)?(?:to\s+)?(?:him|her)\b`,
		`\bfor (?:him|her)\b`,
		`\b(?:his|her)\s+(?:old\s+)?`+alt(e.Device)+`\b`, `\b`+alt(e.Device)+` of (?:his|hers)\b`,
		`\b(?:his|her)\s+`+alt(e.Money)+`\b`,
		`\b(?:he|she)\s+(?:still\s+)?(?:owes|owe|owed|doesnt owe|does not owe|has to pay|needs to pay|in (?:some kind of |any |some )?trouble)\b`,
	)
	g = newGate([]string{"wrong", "know", "heard", "one", "nobody", "noone", enName, enName + "s", "number", "num", "else", "phone", "line",
		"landline", "live", "person", "guy", "lady", "woman", "man", "him", "her", "them", "holder", "borrower", "owner",
		"belongs", "mine", "me", "name", "think"})
	add(&pr.wrong, false,
		`\b`+alt(e.Wrong)+`\b`,
		`\bdont know (?:him|her|them|who|any|anyone|anybody|this person|that person|xname)\b`,
		`\b(?:dont|do not)\s+(?:know|have)\s+(?:a|an|any|no)\s+xname\b`,
		`\bxname\s+(?:is not|isnt|s not|aint)\s+(?:at|on|reachable at)\s+this\s+(?:number|phone|line)\b`,
		`\bno\s+(?:one\s+named\s+)?xname(?:\s+xname)?\s+(?:here|at|on|in)\b`,
		`\b(?:number|phone|line)\s+(?:does not|doesnt|no longer|dont)\s+belongs?\s+to\s+xname\b`,
		`\b(?:im|i am) not who you think\b`, `\bthats not my name\b`, `^(?:nope|nah|no)\s+not me$`,
		`\bjust\s+(?:got|bought|purchased|activated)\s+(?:this|the|a)\b(?:\s+\w+){0,3}?\s+(?:number|phone|line|sim)\b`,
		`\b(?:number|phone|line|sim)\s+i\s+just\s+(?:got|bought|purchased|activated)\b`,
		`\bnever heard of (?:xname|him|her|them|this person|that person|anyone|anybody|that name|this name|such a person)\b`,
		`\b(?:got|have|texting|calling|messaging) the wrong (?:number|num|person|guy|girl|lady|people|phone|one|house|family)\b`,
		`\b(?:got|have) the wrong$`,
		`\b(?:im|i am) not xname\b`, `\bthis (?:is not|isnt) xname\b`, `\bxname who\b`, `\bwho(?: is|s)? xname\b`,
		`\b(?:doesnt|does not|no longer|dont|do not) (?:have|use|own) this (?:number|phone)\b`,
		`\bthis is (?:the|a) (?:landline|number|line|phone) (?:for|of|at)\b`,
		`\bnot (?:his|her|xnames) (?:number|phone)\b`,
		`\b(?:doesnt|does not|no longer) live here\b`,
		`\bno xname here\b`, `\bno one (?:here )?(?:by|named|called) that\b`,
		`\b(?:this|that) (?:is not|isnt) xnames? (?:phone|number)\b`,
		`\bjust got this (?:number|phone)\b`, `\bnew (?:phone|number) who\b`,
		`\b(?:i|ive|i have|we|weve)\s+(?:got|gotten|had|bought|been given|was given|received)\s+this\s+(?:number|phone|line)\s+(?:since|for|last|in|a|about|only|recently|from)\b`,
		`\b(?:number|phone|line)\s+(?:was|got|has been|have been|is)\s+(?:reassigned|recycled|transferred|given to me|assigned to me)\b`,
		`\b(?:looking for|want|mean|trying to reach|after|have me confused with|confused me with|mixed me up with|got me mixed up with)\s+(?:someone|somebody|some one)\s+else\b`,
		`\bthe (?:person|guy|lady|woman|man|one) you(?:re| are)? (?:looking for|trying to reach|want|after)\b`,
		`\b(?:im|i am|this is) not (?:him|her|them|the person|the one)\b`, `\bnot the (?:account holder|borrower|account owner|owner)\b`,
	)
	pr.firstRel = regexp.MustCompile(`\bmy\s+` + rel + `\b`)

	// Chinese, simplified, Cantonese mapped to Mandarin, without spaces;
	// the borrower's names (full, given, 孙哥/刘总/小刘) replaced by Ⓝ.
	z := f.ZH
	// English relation words inside Chinese count too (我是他girlfriend).
	zrelWords := append(append([]string{}, z.Family...), z.Roles...)
	for _, w := range relWords {
		if len(w) >= 3 && !strings.Contains(w, " ") {
			zrelWords = append(zrelWords, w)
		}
	}
	zrel := alt(zrelWords)
	cl := `[^，。！？,.!?；;～~]`
	g = newGate(nil, zrelWords...)
	add(&pr.zhThird, false,
		`我(?:是|系)(?:(?:他|她|ta|Ⓝ)+的?|\p{Han}{1,3}的)`+cl+`{0,3}?`+zrel,
		`(?:他|她|Ⓝ)(?:是|系)(?:我|我们)(?:的|家|们家|公司|单位|店|厂|班)?(?:的)?`+zrel,
		`(?:是|系)?我(?:的|家|们家)?`+zrel+`的?(?:手机|电话|号码|号)`,
		`(?:问|问问|问下|问一下)(?:我)?(?:的)?`+zrel,
		`(?:账|钱|贷款|债|欠款)是我(?:的)?`+zrel, `我(?:的)?`+zrel+`借的`,
		// Through the speaker's own relation: 我儿子的欠款, 替我老公问.
		`我(?:的)?`+zrel+`的?(?:欠款|贷款|账|债|钱|账单|借款|事)`, `(?:替|帮|代)我(?:的)?`+zrel,
	)
	// A role without whose it is, which a borrower does not say of
	// themselves (我是房东, 我系佢室友), and the holder named as "this
	// girl", "the tenant" being away.
	g = newGate(nil, z.Agents...)
	add(&pr.zhThird, false, `我(?:是|系)(?:(?:他|她|ta|Ⓝ)+的?|\p{Han}{1,3}的)`+cl+`{0,3}?`+alt(z.Agents))
	g = newGate(nil, "跟", "和", "与")
	add(&pr.zhThird, false, `我(?:跟|和|与)(?:他|她|ta|Ⓝ)(?:是)?(?:合租|一起住|住一起|一个单位|一个公司|同事|室友|舍友|邻居|朋友|同学)`)
	g = newGate(nil, z.ArticleRoles...)
	add(&pr.zhThird, false, `我(?:是|系)(?:这|那)?(?:个|位)?`+alt(z.ArticleRoles))
	g = newGate(nil, z.Someone...)
	add(&pr.zhThird, false, alt(z.Someone)+cl+`{0,3}?`+alt(z.Absent), alt(z.Someone)+`(?:是|系)我(?:的|家)?`+zrel)
	// The holder's identity data given as theirs (她身份证后四位是, 他生日):
	// whoever she is, the speaker is not her.
	g = newGate(nil, z.IdentityData...)
	add(&pr.zhThird, false, `(?:他|她|ta|Ⓝ)(?:的)?`+alt(z.IdentityData))
	g = newGate(nil, zhName)
	add(&pr.zhThird, false,
		// 我是万刚的妈, 我是万刚所在公司的负责人: whatever the speaker is
		// of the holder's, named, they are not the holder.
		`我(?:是|系)Ⓝ[^，。！？,.!?\s]{0,6}的\p{Han}{1,5}`,
		`Ⓝ`+cl+`{0,3}?`+alt(z.Absent),
		`Ⓝ的?(?:手机|电话)(?:在我|放我|落|忘)`, `以前是(?:他|她|Ⓝ)`,
		alt(z.Relay)+`Ⓝ`, `Ⓝ(?:让|叫|托|要)我`,
		`(?:找|问)Ⓝ(?:有)?(?:啥|什么)事`, `Ⓝ的事`, `Ⓝ(?:还)?(?:欠|要还|还要还|还欠|的欠款|的账|的债)`,
		`Ⓝ(?:怎么了|出什么事|出啥事|犯什么事|惹什么|怎么回事)`, `找Ⓝ(?:干|做|有|啥|什么|干嘛|干啥)`,
	)
	g = newGate(nil, "机主", "捡到", "以前是", "转告", "跟我说", "做主")
	add(&pr.zhThird, false,
		`机主`, `捡到`, `以前是(?:他|她)`,
		`转告`, `跟我说(?:就行|就好|就可以|吧)`, `直接跟我说`, `有事跟我说`, `做主`,
	)
	g = newGate(nil, "他", "她", "ta")
	add(&pr.zhThird, true,
		`(?:他|她|ta)`+cl+`{0,3}?`+alt(z.Absent),
		`(?:他|她)的?(?:手机|电话)(?:在我|放我|落|忘)`,
		`(?:替|帮|代)(?:他|她)`, `(?:他|她)(?:让|叫|托|要)我`,
		`(?:他|她)把(?:手机|电话)(?:给|借|留|交)(?:给)?了?我`, `(?:他|她)的?(?:手机|电话)(?:坏了|丢了|没电|停机|欠费)`,
		`(?:找|问)(?:他|她)(?:有)?(?:啥|什么)事`, `(?:他|她)的事`,
		`(?:他|她)(?:还)?(?:欠|要还|还要还|还欠|的欠款|的账|的债)`,
	)
	g = newGate(nil, append(append([]string{}, z.Wrong...), "错", "认识", "这个人", "查无", "本人", "换号", "新号", zhName, "我不",
		"不是他", "不是她", "是我的", "归我", "刚", "别人的", "我用了", "不是我", "找的人", "机主", "新办", "新买", "刚办", "新换", "刚换", "我的号", "我的手机")...)
	add(&pr.zhWrong, false,
		alt(z.Wrong), `谁是Ⓝ`, `Ⓝ是谁`,
		`没(?:有)?(?:叫|名叫|一个叫|姓)Ⓝ`,
		`Ⓝ(?:已经|早就|早)?(?:不用|没用|不再用|换了)(?:这个|这)(?:号|号码|手机号|电话|手机)`,
		`我不是(?:本人)?[，,。\s]*(?:你们|你)?(?:弄错|搞错|找错|认错|打错)`,
		`(?:号|号码|手机号|卡)(?:是)?(?:我)?(?:刚|新|才)(?:办|买|换|开)的`, `(?:以前|之前|原来)[^，。！？]{0,4}?是别人的`, `(?:这里|这儿|我们这|我们公司|我们家|我家|这边)(?:里|儿)?(?:没有|没)(?:叫)?Ⓝ`, `我不是(?:Ⓝ|他|她|本人)`,
		`(?:号|号码|手机号|电话)(?:已经|早就)?不是(?:他|她|Ⓝ)的`,
		`(?:号|号码|手机号|电话)(?:现在)?(?:是|归)我(?:的|用)`, `我用了`,
		`^不是我[了啊呀吧]*[。！!.]*$`, `^我不是[了啊呀吧]*[。！!.]*$`,
		`没这个人`, `我不(?:叫|姓)`, `(?:你们|你)要?找的人`, `我不是(?:借款人|机主|账户本人)`, `不是机主`, `(?:号|号码|手机号)是(?:新办|新买|刚办|刚换|新换)的`, `刚换的号`, `这是我的(?:号|号码|手机)`,
	)
	pr.zhFirstRel = regexp.MustCompile(`我(?:的)?` + zrel)
	if len(errs) > 0 {
		return nil, fmt.Errorf("party patterns: %s", strings.Join(errs, "; "))
	}
	return pr, nil
}

// Cantonese written forms, mapped to the Mandarin the patterns use.
var cantonese = strings.NewReplacer("俺", "我", "唔喺度", "不在", "唔喺", "不在", "喺", "在", "佢哋", "他们", "佢", "他", "係", "是", "咩", "什么", "嘅", "的", "我哋", "我们", "冇", "没有", "呢個", "这个", "呢个", "这个", "唔識", "不认识", "唔识", "不认识")

// notMe are whole messages that say the speaker is not the one sought.
var notMe = map[string]bool{"not me": true, "its not me": true, "thats not me": true, "that is not me": true,
	"this is not me": true, "it is not me": true, "no not me": true, "no its not me": true}

// detect returns dialog.PartyThirdParty, dialog.PartyWrongNumber or "".
func (pr *partyReader) detect(m *forms) string {
	en, zh := m.en, m.zh
	third := func(rules []partyRule, s string, first *regexp.Regexp) bool {
		if s == "" {
			return false
		}
		mine := -1 // not looked at yet
		for _, r := range rules {
			if !r.gate.open(m) {
				continue
			}
			if r.pronoun {
				if mine < 0 {
					mine = 0
					if first.MatchString(s) {
						mine = 1
					}
				}
				if mine == 1 {
					continue
				}
			}
			if r.re.MatchString(s) {
				return true
			}
		}
		return false
	}
	wrong := func(rules []partyRule, s string) bool {
		for _, r := range rules {
			if s != "" && r.gate.open(m) && r.re.MatchString(s) {
				return true
			}
		}
		return false
	}
	switch {
	case third(pr.third, en, pr.firstRel) || third(pr.zhThird, zh, pr.zhFirstRel):
		return dialog.PartyThirdParty
	case notMe[en]:
		return dialog.PartyWrongNumber
	case wrong(pr.wrong, en) || wrong(pr.zhWrong, zh):
		return dialog.PartyWrongNumber
	case m.named && otherName(en, zh):
		return dialog.PartyWrongNumber
	}
	return ""
}

var (
	enMyName = regexp.MustCompile(`\b(?:my name is|my names|my first name is|im called)\s+([a-z]+)\b`)
	// 我姓王: the borrower's own surname reads Ⓢ (chineseForm), so any
	// other is someone else's. Not 我叫...: a borrower goes by a pet name
	// (小青) as often as by the name the lender has.
	zhMyName = regexp.MustCompile(`我姓[^ⓈⓃ\P{Han}](?:[，。！？,.!?\s的]|$)`)
)

// otherName reports whether the speaker gives a name that is not the
// borrower's ("my name is Mike", 我姓王).
func otherName(en, zh string) bool {
	if m := enMyName.FindStringSubmatch(en); m != nil {
		switch m[1] {
		case enName, enName + "s", "not", "on", "in", "and", "the", "a", "mr", "mrs", "ms", "miss", "dr", "also", "still", "actually", "spelled", "correct", "right", "wrong":
		default:
			return true
		}
	}
	return zh != "" && zhMyName.MatchString(zh)
}

// englishForm lower-cases text, drops apostrophes, turns other marks into
// spaces and replaces the borrower's names with xname (xnames for the
// possessive).
func englishForm(text string, names []string) string {
	var b strings.Builder
	space := true
	for _, r := range hashNumber.Replace(strings.ToLower(text)) {
		if f, ok := latinFold[r]; ok {
			r = f // número, está: Spanish mixed in
		}
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`':
			continue
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	s := " " + strings.TrimSpace(b.String()) + " "
	if strings.TrimSpace(s) == "" {
		return ""
	}
	for _, n := range enNames(names) {
		s = strings.ReplaceAll(s, " "+n+"s ", " "+enName+"s ")
		s = strings.ReplaceAll(s, " "+n+" ", " "+enName+" ")
	}
	return strings.TrimSpace(s)
}

// hashNumber reads "#" after wrong as the word it stands for.
var hashNumber = strings.NewReplacer("wrong #", "wrong number", "wrong no.", "wrong number")

// latinFold folds the accented letters of Spanish (and the other
// Latin-1 languages borrowers mix in) to ASCII.
var latinFold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ñ': 'n', 'ç': 'c',
}

// enNames are the words of the borrower's names that stand for them:
// each Latin name part of three letters or more.
// nameMarks drops apostrophes and dots from a name's words; built once (a
// Replacer is safe for concurrent use), not on every turn.
var nameMarks = strings.NewReplacer("'", "", "’", "", ".", "")

func enNames(names []string) []string {
	var out []string
	for _, n := range names {
		for _, w := range strings.Fields(strings.ToLower(n)) {
			w = nameMarks.Replace(w)
			if len(w) >= 3 && isLatinName(w) {
				out = append(out, w)
			}
		}
	}
	// Longer first: "marcuss" before "marcus".
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func isLatinName(w string) bool {
	for _, r := range w {
		if r > 127 || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// chineseForm simplifies the text's Chinese, maps Cantonese, drops
// spaces, lower-cases Latin letters and replaces the borrower's names
// with Ⓝ; "" when the text has no Han character.
func chineseForm(text string, names []string) string {
	han := false
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			han = true
			break
		}
	}
	if !han {
		return ""
	}
	s := cantonese.Replace(compliance.Simplified(text))
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	for _, n := range zhNames(names) {
		s = strings.ReplaceAll(s, n, zhName)
	}
	for _, n := range names {
		// 我姓刘: the borrower's surname said as a surname.
		if rs := []rune(strings.TrimSpace(n)); len(rs) >= 2 && unicode.Is(unicode.Han, rs[0]) {
			s = strings.ReplaceAll(s, "姓"+string(rs[0]), "姓"+zhSurname)
		}
	}
	return s
}

// zhNames are the ways the borrower's Chinese name is said: the full
// name, a given name of two characters or more, and the surname with a
// title or prefix (孙哥, 刘总, 小刘, 老陈).
func zhNames(names []string) []string {
	var out []string
	for _, n := range names {
		rs := []rune(strings.TrimSpace(n))
		if len(rs) < 2 || !unicode.Is(unicode.Han, rs[0]) {
			continue
		}
		out = append(out, string(rs))
		if len(rs) >= 3 {
			out = append(out, string(rs[1:]))
		}
		sur := string(rs[0])
		for _, t := range []string{"哥", "姐", "总", "老师", "先生", "女士", "小姐", "师傅", "经理"} {
			out = append(out, sur+t)
		}
		out = append(out, "小"+sur, "老"+sur)
	}
	sort.Slice(out, func(i, j int) bool { return len([]rune(out[i])) > len([]rune(out[j])) })
	return out
}

// withParty makes the parse say who is speaking: the wrong-party intent
// leads (after distress, which always comes first), the others follow.
func withParty(p dialog.Parse, party string) dialog.Parse {
	p.Party = party
	if p.Intent == dialog.IntentWrongParty || (p.Intent == dialog.IntentDistress && p.Has(dialog.IntentWrongParty)) {
		return p
	}
	alts := make([]dialog.Intent, 0, len(p.Alts)+1)
	if p.Intent != dialog.IntentUnknown {
		alts = append(alts, p.Intent)
	}
	for _, a := range p.Alts {
		if a != dialog.IntentWrongParty {
			alts = append(alts, a)
		}
	}
	if p.Intent == dialog.IntentDistress {
		p.Alts = append([]dialog.Intent{dialog.IntentWrongParty}, alts[1:]...)
		return p
	}
	p.Intent, p.Alts = dialog.IntentWrongParty, alts
	if len(p.Alts) == 0 {
		p.Alts = nil
	}
	p.Confidence = max(p.Confidence, 0.85)
	return p
}
