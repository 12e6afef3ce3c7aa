package main
import (
 _ "github.com/go-telegram/bot"
 _ "github.com/gorilla/websocket"
 _ "github.com/dgraph-io/badger/v4"
 _ "github.com/nicksnyder/go-i18n/v2/i18n"
 _ "github.com/chromedp/chromedp"
 _ "github.com/BurntSushi/toml"
 _ "golang.org/x/text/language"
 _ "github.com/prometheus/client_golang/prometheus"
)
func main(){}
