package kb

import "strings"

// Near misses: a question about another company's product, a bank or a
// device ("steam refund policy", "支付宝怎么换绑手机号", "my phone screen is
// frozen") shares its other words with an article but is not ours to
// answer. When a question names one of foreignWords, Answer declines unless
// the best article names that word itself in its title or synonyms: an
// article that does cover, say, payments by Alipay says so there.
var foreignWords = []string{
	// Other services and stores.
	"steam", "whatsapp", "google", "gmail", "netflix", "spotify", "youtube",
	"facebook", "instagram", "tiktok", "twitter", "telegram", "discord",
	"paypal", "amazon", "apple id", "icloud", "itunes", "app store", "play store",
	"xbox", "playstation", "nintendo", "epic games", "uber", "wechat", "alipay", "taobao",
	"支付宝", "微信", "淘宝", "京东", "拼多多", "抖音", "快手", "美团", "饿了么",
	"苹果", "谷歌", "腾讯", "网易", "爱奇艺", "优酷", "哔哩哔哩", "b站", "qq",
	// Banks and their cards.
	"bank", "banks", "credit card", "debit card", "银行", "信用卡", "储蓄卡", "借记卡",
	// Devices and networks.
	"screen", "router", "wifi", "wi-fi", "battery", "laptop", "printer",
	"屏幕", "卡死", "死机", "黑屏", "路由器", "电池", "打印机", "宽带",
}

// foreignIn returns the foreign words that the folded question q names.
func foreignIn(q string) []string {
	var out []string
	for _, w := range foreignFolded {
		if containsPhrase(q, w) {
			out = append(out, w)
		}
	}
	return out
}

var foreignFolded = func() []string {
	out := make([]string, len(foreignWords))
	for i, w := range foreignWords {
		out[i] = fold(w)
	}
	return out
}()

// coreText is what an article says it is about, folded: its title and
// synonyms, for foreignIn's words to be looked up in.
func coreText(a *Article) string {
	return fold(a.Title + "\n" + strings.Join(a.Synonyms, "\n"))
}
