package dialog

import (
	"unicode"
	"unicode/utf8"
)

// Normalisation shared by the NLU: full-width forms folded to ASCII, letters
// lower-cased, common traditional characters mapped to simplified ones,
// apostrophes dropped ("don't" → "dont"), every other run of punctuation,
// symbols, emoji and white space collapsed into one separator.
//
// The internal form (clauses true) also drops spaces between two Chinese
// characters ("取消 会员" is 取消会员) and marks clause punctuation (, . ! ? ;
// : and their Chinese forms, new lines) with clauseMark so that negation and
// objects do not reach across clauses; Normalize keeps a space for both.

const clauseMark = '|'

// normInfo is what normalisation noticed on the way.
type normInfo struct {
	question bool // a ? or ？ was seen
}

// hanLo..hanHi is the range of the dense traditional → simplified table.
const (
	hanLo = 0x3400
	hanHi = 0x9FFF
)

// t2s maps a traditional character (index r-hanLo) to its simplified form; 0
// means unchanged.
var t2s = func() []rune {
	tab := make([]rune, hanHi-hanLo+1)
	rs := []rune(tradSimpPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		t, s := rs[i], rs[i+1]
		if t >= hanLo && t <= hanHi && t != s {
			tab[t-hanLo] = s
		}
	}
	return tab
}()

func isHan(r rune) bool {
	return r >= hanLo && r <= hanHi || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x2FFFF
}

// isWordByte reports whether b is an ASCII letter or digit (normalised text
// holds no upper case).
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// normalizeTo appends the normalised form of s to dst. With clauses, clause
// punctuation becomes clauseMark, otherwise a space.
func normalizeTo(dst []byte, s string, clauses bool) ([]byte, normInfo) {
	var info normInfo
	const (
		sepNone = iota
		sepSpace
		sepClause
	)
	sep := sepNone
	lastHan := false
	start := len(dst)
	// separate writes the separator pending before the next token; the
	// classifier's form drops a space between two Han characters.
	separate := func(dst []byte, han bool) []byte {
		switch {
		case len(dst) == start:
		case sep == sepClause && clauses:
			dst = append(dst, clauseMark)
		case sep == sepClause:
			dst = append(dst, ' ')
		case sep == sepSpace && !(han && lastHan && clauses):
			dst = append(dst, ' ')
		}
		return dst
	}
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			i += n
			switch {
			case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
				r -= 0xFEE0
			case r == 0x3000:
				r = ' '
			}
		}
		if r < utf8.RuneSelf {
			b := byte(r)
			switch {
			case b >= 'A' && b <= 'Z':
				b += 'a' - 'A'
				fallthrough
			case b >= 'a' && b <= 'z' || b >= '0' && b <= '9':
				dst = separate(dst, false)
				sep = sepNone
				dst = append(dst, b)
				lastHan = false
			case b == '\'' || b == '`':
				// dropped: don't → dont
			case b == '?':
				info.question = true
				sep = sepClause
			case (b == ':' || b == '.') && len(dst) > start && dst[len(dst)-1] >= '0' && dst[len(dst)-1] <= '9' && digitAt(s, i):
				// 7:30, 5：15, 1.5: one number, not two clauses
				if sep == sepNone {
					sep = sepSpace
				}
			case b == ',' || b == '.' || b == '!' || b == ';' || b == ':' || b == '\n' || b == '\r':
				sep = sepClause
			default:
				if sep == sepNone {
					sep = sepSpace
				}
			}
			continue
		}
		switch r {
		case 0x2018, 0x2019, 0x02BC, 0x00B4: // ‘ ’ ʼ ´
			continue
		case 0x3001, 0x3002, 0x2026, 0xFF61, 0xFF64, 0x203C, 0x2047, 0x2048, 0x2049: // 、。… ｡ ､ ‼ ⁇ ⁈ ⁉
			if r >= 0x2047 {
				info.question = true
			}
			sep = sepClause
			continue
		}
		switch {
		case isHan(r):
			if r <= hanHi {
				if m := t2s[r-hanLo]; m != 0 {
					r = m
				}
			}
			dst = separate(dst, true)
			sep = sepNone
			dst = utf8.AppendRune(dst, r)
			lastHan = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			dst = separate(dst, false)
			sep = sepNone
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			lastHan = false
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
			// combining marks, variation selectors, zero-width joiners: nothing
		default:
			if sep == sepNone {
				sep = sepSpace
			}
		}
	}
	return dst, info
}

// tradSimpPairs lists traditional characters each followed by its simplified
// form: the ones members type when asking about memberships, money, accounts
// and help, and the most common others.
const tradSimpPairs = "" +
	"會会員员於于與与買买賣卖續续費费訂订關关閉闭開开動动號号碼码單单務务態态時时間间麼么嗎吗們们這这裡里裏里說说話话語语請请問问題题幫帮選选項项還还錢钱戶户帳账賬账記记錄录發发給给讓让對对應应該该過过後后從从來来沒没為为個个東东幣币長长門门電电郵邮驗验證证機机車车馬马" +
	"書书學学習习見见現现覺觉親亲觀观點点鐘钟錶表灣湾歲岁實实專专業业樂乐氣气愛爱聽听讀读寫写聯联繫系係系網网頁页體体廣广場场連连週周邊边遠远進进運运達达遲迟無无麗丽歡欢難难雙双雖虽離离頭头顯显類类願愿顧顾飯饭餘余館馆價价儲储優优償偿儀仪傳传億亿備备僅仅處处剛刚劃划則则創创勞劳勝胜區区協协卻却厲厉參参" +
	"嚴严啟启喚唤國国圍围圖图團团圓圆壞坏塊块報报壓压夠够奪夺奮奋婦妇媽妈孫孙寧宁審审寶宝將将尋寻導导屆届層层屬属島岛幹干並并幾几庫库廠厂廢废彈弹強强歸归當当徹彻徵征懷怀慶庆憂忧憶忆懶懒戰战戲戏擇择擊击擔担據据擋挡擁拥換换損损搶抢擴扩攝摄敵敌數数斷断暫暂曆历條条極极構构槍枪標标樣样橫横檢检權权歷历殘残殺杀" +
	"決决沖冲況况減减測测湯汤滅灭滿满漢汉潔洁濟济災灾烏乌煙烟熱热營营爭争爾尔牆墙獎奖獨独獲获環环產产畫画異异療疗盡尽監监盤盘確确礎础禮礼種种稱称穩稳窮穷競竞筆笔節节範范築筑簡简糧粮紀纪約约紅红級级紙纸細细終终組组結结絕绝統统絲丝經经綜综綠绿維维緊紧線线練练縣县總总績绩織织罰罚羅罗聖圣聞闻聲声職职" +
	"肅肃脅胁脈脉腦脑腳脚興兴舉举舊旧莊庄蘇苏藝艺藥药蟲虫術术衛卫衝冲補补製制複复襲袭規规視视覽览計计訊讯討讨訓训設设許许訴诉診诊註注詞词試试詩诗詳详認认誤误誰谁課课調调談谈論论諾诺謂谓講讲謝谢識识議议護护變变貝贝負负財财責责貢贡貨货販贩貪贪貫贯貴贵貸贷貼贴資资賊贼賓宾賞赏賠赔賴赖購购賽赛贈赠贏赢" +
	"趕赶趨趋跡迹踐践軍军軟软較较載载輔辅輕轻輪轮輸输轉转辦办農农違违遞递適适遺遗邏逻鄉乡醫医釋释針针釣钓鈔钞銀银銷销鋼钢錯错鍵键鎖锁鏡镜鐵铁閒闲閱阅闆板闡阐陣阵陰阴陳陈陽阳隊队階阶際际隨随險险隱隐雜杂雞鸡霧雾靈灵靜静韓韩頂顶順顺須须預预頓顿領领頻频額额顏颜風风飛飞飲饮養养駐驻髮发鬥斗鬧闹魚鱼鮮鲜鳥鸟鳴鸣麥麦黃黄齊齐齒齿龍龙龜龟" +
	"撥拨擬拟儘尽啓启兌兑兒儿冊册凍冻凱凯劉刘勁劲匯汇叢丛吳吴嘗尝噴喷壇坛壯壮壺壶夢梦奧奥妝妆娛娱嬰婴寬宽寵宠屍尸峽峡崗岗嶽岳巖岩帥帅帶带廳厅彎弯復复徑径慣惯慘惨憑凭懸悬懼惧戀恋拋抛挾挟捨舍掃扫揚扬搖摇摯挚撫抚撲扑擾扰攤摊敗败斂敛斬斩暈晕曬晒柵栅桿杆棄弃棟栋榮荣槓杠歐欧毀毁汙污洩泄淚泪淺浅溝沟漁渔潛潜澀涩濃浓濕湿濾滤瀏浏灑洒煩烦燈灯燒烧燭烛爐炉" +
	"狀状狹狭猶犹獄狱瑣琐瘋疯癢痒盜盗眾众睜睁矯矫碩硕磚砖礙碍祕秘禍祸稅税穀谷窩窝竊窃籃篮籌筹籤签糾纠紋纹納纳紛纷純纯紮扎綁绑綿绵緒绪締缔編编緣缘縮缩繩绳繳缴罷罢羨羡翹翘聳耸腫肿膚肤臟脏臨临艙舱艱艰萬万葉叶著着蓋盖薦荐藍蓝蘋苹虛虚蝦虾螢萤蠟蜡裝装褲裤訪访詐诈誇夸誌志誠诚謀谋謊谎譜谱譯译豐丰豬猪貓猫賀贺賢贤質质趙赵蹤踪躍跃軌轨輛辆輯辑轄辖辭辞" +
	"遊游遷迁遙遥醜丑釀酿鈴铃鉛铅銅铜鋪铺鍋锅鍾钟鑰钥閃闪閣阁闊阔隸隶雲云響响頌颂頗颇顛颠颱台颳刮餅饼饑饥騎骑騙骗驅驱驚惊髒脏鬆松鹽盐麵面黨党齡龄慾欲隻只擷撷臺台瞭了託托鬱郁佈布佔占併并侶侣俠侠倉仓倫伦偉伟側侧偵侦傘伞傷伤傾倾僑侨儉俭兩两獸兽縱纵鬍胡嚇吓囉啰嘍喽喲哟囑嘱噁恶惡恶" +
	"繼继續续銷销註注冊册費费據据扣扣帳账餘余額额託托櫃柜廳厅檔档擋挡謹谨寵宠嚕噜嗎吗嘛嘛啦啦麼么甚甚啥啥囉啰喔喔噢噢吶呐唄呗嘍喽罷罢鎮镇聽听慮虑確确認认銀银陸陆蘭兰態态擾扰譽誉憤愤懲惩彌弥讚赞贊赞顆颗偽伪儂侬凈净剋克勵励勸劝匱匮厭厌嘆叹圍围執执塵尘墜坠壟垄奬奖嫻娴孿孪寢寝屜屉巔巅幣币廁厕廬庐彙汇徬彷恆恒悅悦惱恼愜惬慚惭" +
	"憐怜懇恳懺忏戔戋撐撑撿捡擠挤擬拟攏拢攔拦攪搅敘叙楊杨樁桩檯台櫥橱欄栏歎叹殼壳氣气沒没淵渊瀕濒煉炼燦灿牘牍犢犊猻狲獅狮璽玺甦苏癒愈皚皑盞盏瞞瞒矚瞩硃朱碼码禦御禱祷穎颖窺窥竅窍筧笕篩筛簍篓籠笼粧妆糰团緻致縫缝繪绘纏缠罈坛罵骂翺翱聰聪肅肃脫脱腎肾腸肠膠胶艷艳蔔卜蕭萧藉借蘆芦虜虏蠶蚕" +
	"衆众袞衮襪袜覓觅觸触訂订訝讶詢询詭诡誓誓誦诵諒谅諸诸謎谜謠谣譏讥讓让豎竖貶贬賦赋賬账贖赎趟趟蹟迹軀躯輩辈轎轿辯辩遜逊鄰邻醞酝鈕钮鉤钩鋒锋錦锦鍊炼鐮镰鑄铸閘闸阿阿陝陕隊队雛雏雜杂韁缰頸颈顆颗颯飒餓饿餵喂騷骚驕骄骯肮鬢鬓鯨鲸鴨鸭鵝鹅鷹鹰麼么黴霉鼕冬齣出" +
	"賺赚蝕蚀漲涨跌跌幫帮嗨嗨摺折紓纾蹧糟顯显詞词優优徵征鍛锻熾炽燉炖鬥斗儘尽拜拜"

// digitAt tells whether s has a digit (ASCII or full-width) at byte i.
func digitAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if c := s[i]; c < utf8.RuneSelf {
		return c >= '0' && c <= '9'
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r >= 0xFF10 && r <= 0xFF19
}
