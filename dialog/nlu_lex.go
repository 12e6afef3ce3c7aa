package dialog

// The classifier's lexicon: phrases of zh-CN and en mapped to the concepts
// the intent rules reason about. Phrases are written in normalised form
// (simplified characters, lower case, no apostrophes); traditional input is
// simplified before matching.

// Concepts of the classifier.
const (
	kNone        uint8 = iota
	kCancel            // 取消, cancel*: a verb that ends a membership when its object is one
	kCancelSolo        // 退订, 解约, unsubscribe: means "cancel the membership" on its own
	kCancelReq         // 取消申请, my cancellation: the request itself, as a noun
	kStop              // 停掉, 关闭, end, stop, turn off: ends something named next to it
	kDelete            // 注销, delete: cancels a membership, deletes an account
	kOn                // 开通, 升级, sign up, enable: starts or extends something
	kRenew             // 续费, renew
	kAutoRenew         // 自动续费, auto-renew, recurring billing
	kAuto              // 自动, automatic
	kCharge            // 扣钱, charge
	kPeriodic          // 每月, again, next month
	kMember            // 会员, membership, subscription, VIP
	kAccount           // 账号, account
	kOrder             // 订单, 充值, order, recharge: not a membership
	kOther             // 关注, 短信, newsletter: other things that can be cancelled
	kNeg               // 不, not
	kNegWant           // 不想, 不要, 别, don't want
	kNegPast           // 没, didn't
	kNoMore            // 不再, no longer
	kCant              // 不能, 找不到, can't: inability, not refusal
	kWantV             // 要, 当, 用, want, keep, be
	kWantReq           // 我要, 请, 帮我, please, I'd like
	kHow               // 怎么, 如何, how
	kQ                 // 吗, 能不能, will I, is there: a question
	kCond              // 如果, if, what happens
	kCondAfter         // 后, 的话: right after a verb, "after cancelling"
	kRefund            // 退款, refund, money back
	kPolicy            // 政策, policy
	kExpire            // 到期, expire
	kStatusW           // 状态, 查, status, check, still
	kWhen              // 什么时候, when
	kStillMember       // 还是会员吗, am I still a member
	kHuman             // 人工, 真人, human, agent, complaint
	kHumanW            // 客服, someone, customer service
	kTalk              // 找, 联系, talk, speak
	kTicket            // 工单, ticket, work order
	kProgress          // 进度, 处理了吗, processed, go through
	kPassive           // 被取消, was cancelled
	kPast              // 已经, already, yesterday
	kLetExpire         // let it expire, 到期就算了
	kGreet             // 你好, hello
	kHelp              // 帮助, 菜单, help, menu
	kHelpQ             // 你能做什么, what can you do
	kAbort             // 算了, never mind
	kJunk              // SQL and HTML
	kBlock             // 但是, 为什么, because, know: ends a negation's reach
	kNeutral           // 不好意思, 不错, not happy: negation words that negate nothing here
	kWO                // a work-order number
	kMoney             // 钱, money, fee
	kThanks            // 谢谢, thanks
	kDuration          // 多久, how long
	kJust              // 只, only, just
	kComplain          // 投诉, complaint: a person, unless the message asks for more
	kPayment           // payment: a recurring charge or a one-off order, by context
	kPastCancel        // 已经取消, I cancelled: a cancellation that already happened
	kWhy               // 为什么, why: ends a negation's reach; a problem, not a status question
	kKeep              // 保留, keep: the member wants to stay
	kDeal              // 打折, 优惠, discount, perks: asking about offers
	kCancelPP          // cancelled: a request ("I want it cancelled") or a state ("is my VIP cancelled?")
	kHowAreYou         // 你好吗, how are you doing: a greeting
	kBye               // 再见, bye
	kSmallTalk         // chit-chat the bot answers kindly: a joke, its name, its age
	kPlace             // APP, 官网, settings: somewhere else a member could do it themselves
	kWhat              // 是什么, 有什么用, how long: asks about a thing rather than for it
	kCount
)

func buildClassifierLexicon() *lexicon {
	b := newLexBuilder()

	// ---- Chinese ----
	b.add(kCancel, "取消,撤销,撤消,终止,解除,作废,取销,取肖,去消,退掉,停用,关停,撤掉,取消掉,不续订会员,撤了,废掉,退出会籍")
	b.add(kCancelSolo, "退订,解约,退会,退会员,退了会员,退定,解绑会员,退vip,?可以退订,?能退订,?能不能退订,?可不可以退订,?能退会员,?可以退会员,?能退会,?可以退掉,?能退掉,?能不能退会员,唔要会员")
	b.add(kCancelReq, "取消申请,退订申请,注销申请,解约申请,取消的申请,退会申请,取消请求,取消记录")
	b.add(kStop, "停,停掉,停止,停了,关,关掉,关闭,关了,关上,结束,退出,退,退了,去掉,删掉,断掉,掐掉,离开,不当,弄掉,拿掉,搞掉,放弃,停下,砍掉,销掉,退一下")
	b.add(kDelete, "注销,删除,销户,删号,注消")
	b.add(kOn, "开通,开启,打开,开,办,办理,办个,加入,注册,购买,买,升级,成为,恢复,找回,设置,设定,设成,改成,弄成,开上,重新开通,入会,订购,开会员,充会员,冲会员,启用,激活,申请会员,领取,兑换,开了,重新开,再开,开回来,续上去,赠送,送")
	b.add(kRenew, "续费,续订,续期,续约,续,续上,续会员,续一年,续一个月,续废,续交,续个")
	b.add(kAutoRenew, "自动续费,自动续订,自动续期,自动续约,自动扣费,自动扣款,自动扣钱,自动付款,自动支付,自动续,连续包月,连续包年,连续包季,连续订阅,自动订阅,免密支付,代扣,自动续废,自动划扣,自动扣,自动续费功能,自动续订功能,续费功能,自动延期,自动扣除")
	b.add(kAuto, "自动")
	b.add(kCharge, "扣钱,扣费,扣款,扣我钱,扣了,扣,收费,收钱,划扣,划钱,付费,交钱,扣我的钱,乱扣,被扣,扣我,扣掉,收我钱,收我的钱")
	b.add(kPeriodic, "每月,每个月,每年,再,下个月,下月,明年,下次,今后,往后,下期,下一期")
	b.add(kMember, "会员,会籍,会员资格,会员服务,vip,svip,订阅,包月,包年,月卡,年卡,季卡,周卡,月会员,年会员,套餐,会员权益,会原,会圆,会元,汇员,服务,会员卡,黄金会员,白金会员,钻石会员,超级会员,高级会员,年费会员,月费会员,月度会员,年度会员,这个会员,包季,季度会员,会员身份,贵宾,大会员")
	b.add(kAccount, "账号,帐号,账户,帐户")
	b.add(kOrder, "订单,退订单,退订票,退订金,退单,单子,充值,卡密,点卡,游戏,商品,货,发货,交易,购买记录,提现,转账,退货,订单号,这单,这笔,那笔,一笔,话费,流量,礼品卡,卡,支付,付款,游戏卡,充值卡,买的东西,拍错,下单,预购,预售,包裹,快递,物流,代充,皮肤,道具,装备,金币,钻石")
	b.add(kOther, "关注,收藏,绑定,解绑,授权,预约,点赞,通知,推送,短信,邮件,广告,营销,提醒,消息,订阅号,公众号,手机号,好友,置顶,静音,操作,发票,积分,优惠券,红包,验证,实名,签到,弹窗,自动回复,邮箱,手机,评论,动态,定时,闹钟,快捷支付,银行卡,关联,日程,行程,会议,课程,预订,机票,酒店,航班,火车票,雨,下雨,下雪,天气,台风,打电话给我的,提醒我,定时器,音乐,外卖,快车,打车,健身房,健身卡,爱奇艺,优酷,腾讯视频,网易云")
	b.add(kNeg, "不,并不,绝不,才不,不太,不打算再,不会")
	b.add(kNegWant, "不是要,不是想,并不是要,不是说要,并不想,唔想,唔要,唔使,不想,不要,别,不用,不必,无需,不需要,不打算,不准备,不愿意,不愿,不想要,不想再,不要再,不需,用不着,没必要,不稀罕,不想继续,不再需要,不用再,甭")
	b.add(kNegPast, "没,没有,未,从没,从来没,并没有,没让,没同意,从未,没经过,没经")
	b.add(kNoMore, "不再,再也不,以后不,再不,以后别,以后都不")
	b.add(kCant, "不能,不了,无法,没法,没办法,找不到,不知道怎么,不知道如何,不知道在哪,不会弄,不会操作,不会用,不会搞,不太会,不成功,失败,不行,不掉,弄不了,搞不定,点不了,找不着,看不到,没找到,一直不,怎么都不,死活,不知道哪里,不知道去哪,不清楚怎么")
	b.add(kWantV, "想,要,想要,需要,当,用,继续,再用,使用,做,玩,买单,花钱,交")
	b.add(kKeep, "保留,留着,保持,留下")
	b.add(kWantReq, "唔该,我要,我想,请,帮我,麻烦,申请,给我,帮忙,我需要,求,赶紧,快点,马上,立即,立刻,直接,把,我决定,请帮,帮我把,麻烦你,给我把,赶快,现在就,立马")
	b.add(kHow, "怎么,如何,怎样,咋,在哪,哪里,在哪里,入口,怎么弄,怎么操作,怎么搞,咋弄,在哪儿,哪儿,咋整,去哪")
	b.add(kQ, "?吗,?么,?呢,?能不能,?可不可以,?可以吗,?是否,?会不会,?有没有,?能否,?多少,?几,?是不是,?行不行,?是吗,?嘛,?么样,?请问,?问一下,?问下,?想问")
	b.add(kCond, "如果,假如,要是,万一,假设,若,一旦,假使")
	b.add(kCondAfter, "后,之后,以后,的话,了的话,了以后,了之后,了还,了会,了能,了可以,会怎样,会怎么样,完,掉后,了后,掉之后,了还能,后还,后会,后能")
	b.add(kRefund, "退款,退钱,退费,退回,返还,返钱,退还,钱退,退我钱,把钱退,?能退吗,?可以退吗,?退吗,?会退吗,?退多少,?能退多少,退差价,按比例,?钱能退,?钱会退,?退不退,退换,返款,赔,赔偿,退给我,钱回来,?钱能回来,钱拿回来,退回来,退部分,部分退,全额退,退剩下,剩下的钱,剩余的钱,钱怎么算,退我,?能不能退,?可不可以退,?还能退,?能退,?可以退,退费用,退款政策,退会员费,退一部分,钱还能要回来,要回来,拿回,能拿回,拿回多少,退回多少,钱能拿回来,返还多少,钱怎么退,钱怎么退回,钱退吗,钱退不退,钱可以退,钱能不能退,钱会不会退,钱退回,钱退给我")
	b.add(kPolicy, "政策,规则,规定,条款,标准,制度,说明,流程,怎么算")
	b.add(kExpire, "到期,过期,有效期,截止,期限,还有几天,剩几天,剩多少天,还剩几天,还剩多少,到期时间,到期日,有效期至,失效,截至,剩余天数,剩余时间,剩下几天,还能用几天,还能用多久,用到哪天,到哪天,到几号,下次扣费,下次续费,下次扣款,下次扣钱,下次付款,下次收费")
	b.add(kStatusW, "状态,查,查询,查看,看看,看一下,查一下,情况,信息,详情,等级,还是,还有效,生效,有效,还在,剩余,还剩,开着,开没开,是否开启,开启状态,开通状态,开启了吗,开着没,是否开通,开通了吗,开了吗,开启着,开启的吗,开着的吗,现在是,当前,目前,现在的,是什么,哪种")
	b.add(kWhen, "是什么时候,什么时候,何时,哪天,几号,哪一天,啥时候,什么日子")
	b.add(kStillMember, "?还是会员吗,?是不是会员,?是vip吗,?是不是vip,?还是不是会员,?是会员吗,?我是会员吗,?会员还在吗,?还有会员吗")
	b.add(kHuman, "人工,真人,转人工,人工客服,人工服务,活人,经理,主管,负责人,工作人员,客服电话,客服热线,接人工,找人工,真人客服,领导,人工坐席,坐席,在线人工,客服经理,客服主管,回电,给我打电话,打给我,回个电话,打个电话,打电话给我,来个电话,客服呢,人呢,有没有客服,客服在哪,人工呢,客服小姐姐,真的人,找个人,叫个人,来个人,你们老板,跟人说,和人说,跟人聊,和人聊,找人,要真人,跟人讲,换人,叫人,人来,活的人")
	b.add(kHumanW, "客服,客服人员,小二,在线客服")
	b.add(kTalk, "找,联系,转,接,叫,跟,说话,聊,沟通,对接,转接,打电话,电话")
	b.add(kTicket, "工单,工单号,单号,受理号,回执,案件,回执号,申请单,申请记录,处理单")
	b.add(kProgress, "进度,处理了吗,处理好了吗,处理了没,处理得怎么样,处理结果,处理完了吗,处理到哪,办好了吗,办好了没,成功了吗,成功没,生效了吗,生效没,有结果,好了没,好了吗,完成了吗,到哪一步,怎么样了,搞定了吗,弄好了吗,审核,通过了吗,受理,处理了没有,办了没,办完了吗,有进展,进展,处理好没,成功没有,到哪了,处理完,处理情况,处理状态,成功了没,成功了没有,好了没有,生效了没,生效了没有,办了吗,办成了吗,办好没,弄好没,取消了没,取消成功没,取消好了吗,批了吗,通过没")
	b.add(kPassive, "被取消,被停,被注销,被关,被终止,被停用,被封,被退")
	b.add(kPast, "已经,之前,上次,昨天,前天,刚才,刚刚,早就,上周,上个月,前几天,不小心,误,早已,已,误操作,误点,点错,申请的,提交的,申请了,提交了,申请过,提交过")
	b.add(kLetExpire, "到期就算了,到期自动失效,让它到期,到期就不要了,到期后不用了,到期不要了,用完就不续了,用到期,到期就行,到期结束,到期就结束,到期自然结束,到期后就不用了,到期就停,用完这个月,到期后停止,到期后取消,到期再取消,到期取消")
	b.add(kGreet, "你好,您好,你好呀,您好呀,在吗,在不在,在么,哈喽,哈罗,嗨,早上好,中午好,下午好,晚上好,早安,喂,有人吗,在线吗,早,你好啊,大家好,亲,客服你好,您好客服,哈啰,嗨喽,亲在吗,在嘛,有人在吗")
	b.add(kHelp, "帮助,菜单,求助,帮帮我,帮帮忙,救命,帮个忙,使用帮助,帮助中心,主菜单,我该怎么办,不知道该怎么办,怎么办才好")
	b.add(kHelpQ, "你能做什么,你会什么,你会干什么,你会干嘛,能干嘛,能做什么,有什么功能,有哪些功能,功能,你能干啥,你可以做什么,可以做什么,能帮我做什么,能办什么,有什么服务,业务,怎么用你,使用说明,选项,目录,有什么可以帮我,你是谁,怎么使用,怎么用,做什么的,干什么的,干嘛的,是干嘛的,有什么用处,能帮什么,你能帮我什么,能帮我干嘛,都能干啥,你都会啥,能干什么,你可以干嘛,你能做些什么,能做些什么,你都会啥,你都能做什么,你有什么用")
	b.add(kAbort, "算了,算啦,不用了,罢了,不了不了,还是不了,先不了,不了吧,不了谢谢,还是算了,想想还是算了")
	b.add(kJunk, "<script,drop table,drop database,select from,insert into,delete from,union select")
	b.add(kWhy, "为什么,为啥,怎么回事,为何,咋回事,怎么会")
	b.add(kBlock, "但是,可是,不过,因为,所以,知道,明白,懂,确定,记得,只是,而是,然而,虽然,而且,还是想,但")
	b.add(kNeutral, "不好意思,不好,不错,不满,不满意,对不起,不对,不清楚,不同,不够,不管,不仅,不久,不少,不然,不如,不舒服,不方便,不值,不划算,不是,不爽,没用,没问题,没事,没关系,关于,关系,相关,有关,开心,开玩笑,开关,取消不取消,要不要取消,该不该取消,取不取消,退不退订,on,手续,持续,陆续,然后,最后,暂停,卡住,卡顿,不怎么,不太好,不靠谱,不合理,不公平,不明白,不懂,不知道,不到,没到账,不到账,不一样,不少钱,公开,开始,开发,离不开,不停,停车,关心,不太用,用不上,没怎么用,不常用,不怎么用,要不然,要不,不理解,关键,开支,开销,机会,开会,会不会员")
	b.add(kMoney, "钱,费用,价格,?多少钱,金额,费,手续费,元,块,价钱,花了,付了,交了,会员费,年费,月费")
	b.add(kThanks, "谢谢,感谢,多谢,谢了,辛苦了,谢谢你,谢谢啦,感谢你,非常感谢,太感谢了,好的谢谢,谢谢了")
	b.add(kBye, "再见,拜拜,拜,回见,下次见,晚安,先这样,88,886,byebye")
	b.add(kHowAreYou, "你好吗,您好吗,最近好吗,最近怎么样,你怎么样,过得怎么样,今天怎么样,你还好吗,吃了吗,吃饭了吗,忙吗,在忙吗,很高兴见到你,见到你很高兴,高兴见到你,很高兴认识你,认识你很高兴,欢迎")
	b.add(kSmallTalk, "讲个笑话,说个笑话,笑话,你叫什么,你叫什么名字,你的名字,你几岁,你多大,多大了,你是男的,你是女的,你是男是女,你是机器人吗,你是机器人,机器人吗,你是真人吗,是机器人,你是ai,你是人工智能,你住哪,你在哪,你来自哪,你喜欢什么,你的爱好,无聊,好无聊,陪我聊天,聊聊天,聊天吧,我爱你,喜欢你,你真棒,你好棒,你真笨,你好笨,笨蛋,傻,哈哈,哈哈哈,呵呵,嘿嘿,你吃饭了吗,天气怎么样,今天天气,讲个故事,唱首歌,你会唱歌吗,你真聪明,你是谁开发的,谁开发的你,谁创造了你")
	b.add(kDuration, "多久,多长时间,几天")
	b.add(kComplain, "投诉,举报,告你们,315,消协,曝光,12315")
	b.add(kPastCancel, "已经取消,已取消,取消过,之前取消了,已经退订,已经申请取消,已申请取消,已经取消了,早就取消了,明明取消了,明明已经取消,已经关闭,已经关了,已经关掉,已关闭,早就关了,明明关了,已经退了,已退订,?取消了吗,?取消了没有,?取消掉了吗,?取消成功了吗,?退订了吗,?退订成功了吗,?注销了吗,?退订了没,?关掉了吗,?关闭了吗,我取消了,我退订了,我已经")
	b.add(kDeal, "打折,折扣,优惠,促销,活动,特权,福利,好处,权益,特价,便宜,涨价,降价,会员价")
	b.add(kJust, "只,只是想,仅,就只,只要,只想")
	b.add(kWhat, "是什么东西,是啥,是干啥的,有什么用,干什么用,什么意思,啥意思,干嘛用,有啥用,要保留多久,保留多久,留多久,是干什么的,做什么用")
	b.add(kPlace, "app,app里,app上,手机app,客户端,电脑端,手机端,网页版,网页上,网页,官网,官网上,网站,网站上,设置里,设置中,账户中心,个人中心,我的页面")

	// ---- English ----
	b.add(kCancelPP, "cancelled,canceled,cancelld,cancled,cancelled?")
	b.add(kCancel, "cancel*,terminat*,discontinu*,deactivat*,revoke,get rid of,do away with,call off,unenroll*,un subscribe,kill off,cancle*,cancl,cansel*,cancil*,canc")
	b.add(kCancelSolo, "unsubscrib*,unsub,unsubcribe*,unsuscribe*,opt out,opt me out,optout,unregister*,unsubscibe*")
	b.add(kCancelReq, "?was my cancellation,?is my cancellation,?has my cancellation,?did my cancellation,?was my cancelation,?is my cancelation,?has my cancelation,?did my cancelation,my cancellation,the cancellation,my cancelation,cancellation request*,cancelation request*,cancel request*,cancellation status,my cancel request,the cancel request,my unsubscribe request")
	b.add(kStop, "stop,stopping,end,quit,quitting,close,leave,leaving,turn off,switch off,shut off,turn it off,switch it off,disabl*,remove,drop,kill,exit,halt,off,gone,removed,cease,ditch,scrap,dump,cut off,axe,prevent,avoid,block,stop it from,keep it from,get out of,back out of,pull out of,done with,finish with,pull the plug on,withdraw from,out of")
	b.add(kDelete, "delet*,erase,wipe")
	b.add(kOn, "turn on,switch on,turn it on,turn it back on,back on,enabl*,activat*,reactivat*,sign up,signup,sign me up,join,joining,become,subscribe,subscribing,upgrad*,buy,buying,start,starting,resume,restore,set up,setup,extend*,opt in,reinstate,get it back,get back,back,undo,reopen,gift,get a,getting a,re subscribe,resubscribe")
	b.add(kRenew, "renew*,re new,rewnew,reneww")
	b.add(kAutoRenew, "auto renew*,autorenew*,auto renewal*,automatic renewal*,automatically renew*,renew automatically,renews automatically,renewing automatically,auto pay,autopay,automatic payment*,auto payment*,recurring*,auto charge*,automatic charge*,auto billing,automatic billing,auto subscription,from renewing,from renewal,from auto renewing,from being renewed,from charging,automatic renew*,auto renual,auto bill,renew itself,renews itself,renewing itself,rebill*,auto rebill*")
	b.add(kAuto, "auto,automatic,automatically")
	b.add(kCharge, "charg*,bill,billed,billing,take money,taking money,take my money,taking my money,deduct*,debit*")
	b.add(kPeriodic, "every month,monthly,each month,again,anymore,any more,next month,next year,future,from now on,going forward,every year,yearly,annually")
	b.add(kMember, "member*,membership*,subscription*,sub,subs,plan,plans,vip,svip,premium,pro plan,pro membership,tier,service,vip membership,vip plan,premium plan,memberhsip,memebrship,membeship,mebership,membrship,subscrption,subcription,subscripton,suscription,subsription")
	b.add(kAccount, "account*,acct,acount")
	b.add(kOrder, "my transfer,the transfer,a transfer,last transfer,bank transfer,wire transfer,pending transfer,that transfer,this transfer,order*,purchase*,recharge*,top up,topup,transaction*,delivery,shipping,shipment,item*,product*,game*,gift card*,card,cards,card code,refill,deposit,withdrawal,pre order*,preorder*,cart,goods,package,parcel,game card*,points,transferring,transfer money,transferring money,sent money,send money,wrong account,incorrect account,another account,different account,bank account,top up with,transfer,recent transfer,a recent transfer,my recent transfer,money transfer*,payment method*,pin,delivery period,ticket delivery,my tickets,tickets")
	b.add(kOther, "newsletter*,email*,mail,mailing,request,requests,application,notification*,reminder*,marketing,promo*,promotion*,ads,advert*,sms,texts,messages,follow,following,favorite*,favourite*,appointment*,reservation*,booking*,two factor,binding,phone,phone number,alerts,friend*,bank card,credit card,card details,address,username,profile,avatar,comment*,post,posts,alarm*,calendar,event,events,meeting,meetings,class,classes,trip,trips,flight,flights,hotel,hotels,train,trains,ride,uber,taxi,dinner,lunch,party,vacation,holiday,day off,days off,out of work,pto,water bill,electricity bill,phone bill,cable bill,gas bill,utility bill,credit card bill,recurring event*,recurring meeting*,recurring appointment*,recurring reminder*,recurring alarm*,timer*,playlist,music,song,pizza,table,direct debit*,auto debit,automatic debit,standing order*,gym,fitness,netflix,spotify,amazon prime,youtube,icloud,apple music,disney,hulu,library card")
	b.add(kNeg, "not,dont,do not,doesnt,does not,wont,will not,never,isnt,arent,shouldnt,wouldnt,would not,dont you,please dont,please do not")
	b.add(kNegWant, "dont want,do not want,dont wanna,dont need,do not need,no need,not need,not want,dont wish,do not wish,dont care,not interested in,no interest in,have no need,not wanting,dont plan,not planning,not going to,dont want to,wont need,no need for,nor do i want")
	b.add(kNegPast, "didnt,did not,havent,have not,hasnt,has not,wasnt,was not,werent,never asked,never agreed,without my,never authorized,didnt authorize,i never")
	b.add(kNoMore, "no longer,no more,never again,not anymore")
	b.add(kCant, "cant,cannot,can not,unable,couldnt,could not,not able,dont know how,do not know how,dont know where,not sure how,not sure where,wont let me,doesnt let me,does not let me,wont allow,keeps failing,failed,failing,impossible,hard to,difficult to,cant find,cant seem to,no way to,no option to,there is no button,not sure,struggling to,trying to,tried to,how come i cant,having trouble,having a hard time,not working,confusing")
	b.add(kWantV, "want,wanna,need,continue,use,using,be,stay,paying,pay for,have")
	b.add(kKeep, "keep,keeping,retain,hold on to,hang on to")
	b.add(kWantReq, "request a,request an,request to,request the,requesting,i request,i want,i wanna,i would like,id like,i need,please,pls,plz,can you,could you,would you,just,i wish to,go ahead and,i have decided to,i decided to,i am going to,im going to,let me,i will,ill,make sure,asap,right now,immediately,today,kindly")
	b.add(kHow, "how,how do i,how can i,how to,how would i,where,where do i,where can i,what do i do to,what should i do to,hows,whats the way to,way to,steps to,process to,procedure to,what do i have to do,what do i need to do,do i have to,do i need to,what should i do,what can i do to")
	b.add(kQ, "?is there,?is it,?will i,?would i,?do i,?does,?do you,?could i,?are there,?whether,?is my,?will my,?would my,?should i,?can i,?will it,?would it,?does it,?do they,?is this,?will you,?did i,?is the,?are you,?how many,?any,?has my,?did my,?was my,?was it,?have you,?did you,?what happened,?whats the")
	b.add(kCond, "if,what if,what happens,in case,suppose,supposing,once,after i,after cancelling,after canceling,upon,should i cancel,when i,whats the penalty,consequences,in the event")
	b.add(kRefund, "refund*,money back,reimburs*,prorat*,pro rata,pro rated,chargeback,charge back,get my money,return my money,give me my money,give my money,refnd*,refun,get anything back,get something back,cooling off,cooling-off,partial refund,full refund,my money,moneyback,repay*,compensat*")
	b.add(kPolicy, "policy,policies,rule*,terms,terms of service,guideline*,conditions")
	b.add(kExpire, "expire*,expiry,expiration,end date,expiration date,renewal date,next billing date,next billing,next charge,next payment,billing date,run out,runs out,valid until,good until,how many days,days left,time left,days remaining,ending date,lapse*,due date,renew date,end of my,valid till,expirey,expiring")
	b.add(kStatusW, "status,check*,look up,lookup,active,valid,still,current,currently,left,remaining,my plan,what plan,which plan,details,info,information,standing,level")
	b.add(kWhen, "when,what date,what day,which date,which day,whens")
	b.add(kStillMember, "?am i,?am i still,still a member,still a vip,still subscribed,?still have,still premium,?am i subscribed,?do i have,?do i still,?am i on,?what am i on,?still active,?still valid,?still on")
	b.add(kHuman, "human*,agent*,real person,live person,actual person,representative*,rep,operator*,supervisor*,manager*,live chat,live support,real human,talk to someone,speak to someone,speak with someone,talk with someone,someone real,anyone real,anybody real,real one,a real,a person,staff,staff member,customer service representative,real people,person please,escalat*,customer care agent,humna,huamn,agnet,human being,live operator,speak to a person,talk to a person,call me,call me back,phone me,ring me")
	b.add(kHumanW, "person,someone,somebody,customer service,customer support,support team,help desk,helpdesk,customer care,support,call center,phone number for support")
	b.add(kTalk, "talk,speak,chat with,contact,connect,call,put me through,get me,reach,reach out,hand me,pass me,transfer me,transfer us,transfer my chat,transfer this chat,transfer the chat,transfer to a,transfer to an,transfer to the,transfer to someone,transfer to customer,transfer to human,transfer to live")
	b.add(kTicket, "ticket*,work order*,workorder*,case number,reference number,ref number,case,reference,ref no,ticket number,order reference,confirmation number,receipt number,wo number,request number")
	b.add(kProgress, "processed,processing,go through,went through,gone through,progress,updat*,done yet,completed,been completed,finished,yet,successful,successfully,succeeded,gone through,worked,been handled,handled,track*,any news,what happened to,what happened with,whats happening with,whats going on with,any news on,heard back,news on,taken effect,take effect,took effect,effective yet,been done,gone thru,go thru,went thru,is it done,been approved,approved,resolved,is done,outcome,result,confirm that,confirmed")
	b.add(kPassive, "was cancelled,was canceled,got cancelled,got canceled,been cancelled,been canceled,is cancelled,is canceled,was terminated,been terminated,got terminated,was removed,is gone,disappeared,been removed,was stopped,been stopped,was deactivated,been deactivated,shows cancelled,says cancelled,shows canceled,says canceled")
	b.add(kPast, "already,yesterday,last week,last month,earlier,previously,ago,i already,accidentally,by mistake,by accident,mistakenly,last time,before")
	b.add(kLetExpire, "no auto renew*,no autorenew*,no automatic renew*,no recurring,let it expire,let it run out,let it lapse,let it end,just expire,not be renewed,not renewed,not auto renew,let my membership expire,let my subscription expire,let it just expire,let it run its course,until it expires,till it expires,at the end of the period,at the end of the term,at period end,end of the billing period,let the membership expire,let the subscription expire,let the plan expire,let my plan expire,let my vip expire")
	b.add(kGreet, "hi,hello,hey,hiya,howdy,good morning,good afternoon,good evening,good day,yo,greetings,hi there,hello there,hey there,morning,anyone there,anybody there,are you there,you there,hallo,helo,hii,hiii,heya,sup,whats up,hey hey,evening,afternoon,hey you,anyone here")
	b.add(kHelp, "help,menu,assist*,main menu,hlep,halp,helpp,i dont know what to do,im confused,im lost,what now")
	b.add(kHelpQ, "what can you do,what do you do,what can i do,what can you help,how can you help,what are my options,options,commands,show me the options,how does this work,what is this,who are you,what are you,features,what can you help me with,what do you offer,what are you for,what services,what can this bot do,list options,show options,what can u do,what are the options,what can i ask,what should i ask,what do you know,functions,your functions,capabilities,what are you able to do,how do i use this,how to use this,how does it work,what is this bot,what do you offer,how can you help me,can you help me,can you help,what can you answer,what kinds of questions,what kind of questions,what types of questions,what type of questions,which types of questions,which kinds of questions,what sort of questions,what questions,what kinds of things,what kind of things,what types of things,what type of things,what sort of things,what sorts of things,things i can ask,what can i ask you,what to ask,what subjects,which subjects,what topics,subjects you,types of subjects,kinds of subjects,what you can do,what you can help,what you can assist,examples of what,are you familiar with,what do you know about,what things i may ask,what i can ask,what i may ask,questions can i ask,questions do you,topics can i,what questions am i,questions am i allowed,things am i able to ask,anything i cant ask,kinds of things you can,categories of questions,sort of thing i should ask,what should i ask you")
	b.add(kAbort, "no cancel,no cancellation,no cancelling,no canceling,never mind,nevermind,forget it,forget about it,changed my mind,change my mind,no thanks,nah,forget that")
	b.add(kJunk, "script,javascript,onerror,onload,iframe,or 1 1,xp cmdshell,exec,null,undefined,lorem ipsum,href,img src,div,console log,import os,rm rf,sudo,union all")
	b.add(kWhy, "why,how come,whys")
	b.add(kBlock, "but,however,because,know,understand,sure,remember,though,although,instead,rather,so that,cause,since,except,wondering,curious")
	b.add(kNeutral, "not happy,not satisfied,not worth,not work,not use,not using,not used,not a member,dont like,not enjoying,no problem,no worries,not bad,not great,not good,dont use,do not use,not for me,not much,dont really use,not really using,doesnt work,isnt working,not been using,hardly use,rarely use,not worth it,im not a member,no offense,not the point,not that,not only,no idea,not sure if,dont get,dont understand,not understand,no time,keep going,keep on,keep up")
	b.add(kMoney, "money,fee,fees,cost,costs,price,prices,paid,dollars,yuan,rmb,?how much,spent,cash,funds")
	b.add(kThanks, "thanks,thank*,thx,ty,cheers,appreciate it,much appreciated,great thanks,ok thanks,thanks for the assist,thanks for the help,thanks for your help,thank you for your help,thank you for the help,thanks for helping")
	b.add(kBye, "bye,goodbye,see you,see ya,bye bye,good night,goodnight,take care,later,cya,talk later,have a nice day,have a good day,farewell")
	b.add(kHowAreYou, "how are you,how are you doing,how r u,how are u,how you doing,how is it going,hows it going,how are things,how have you been,hows your day,how is your day,how was your day,how do you do,you ok,are you ok,are you well,hope you are well,hope youre well,how are you today,whats new,hows life,are you good,are you okay,how ya doin,how ya doing,how ya been,hows are ya,how you are,how is everything,hows everything,is everything ok,is everything okay,are things going well,how is everything going,how are things going,have you been good,have you been well,how youve been,good to see you,nice to see you,great to see you,glad to see you,nice to meet you,pleased to meet you,whats happening,whats going on,salutations,ahoy,hello friend,hey friend,hi friend,hello friend,what do you feel like doing")
	b.add(kSmallTalk, "tell me a joke,a joke,joke,jokes,something funny,make me laugh,whats your name,what is your name,your name,how old are you,your age,are you a robot,are you a bot,are you human,are you a machine,are you real,are you ai,are you an ai,where are you from,where do you live,who made you,who created you,who built you,do you have pets,what are your hobbies,your hobbies,do you like,i love you,i like you,you are great,youre great,you are stupid,youre stupid,you are dumb,youre dumb,im bored,i am bored,lets chat,chat with me,talk to me,sing a song,tell me a story,meaning of life,fun fact,tell me something,what do you think,are you married,whats your favorite,what is your favorite,lol,haha,hahaha,lmao,good bot,bad bot")
	b.add(kDuration, "how long")
	b.add(kComplain, "complain*,complaint*,file a complaint,report you,report this,sue,lawyer,consumer protection")
	b.add(kPayment, "payment*,pay")
	b.add(kPastCancel, "i cancelled,i canceled,ive cancelled,ive canceled,i have cancelled,i have canceled,i had cancelled,i had canceled,i already cancelled,i already canceled,i just cancelled,i just canceled,already cancelled,already canceled,cancelled it already,canceled it already,i unsubscribed,ive unsubscribed,i already unsubscribed,i turned off,i have turned off,i already turned off")
	b.add(kDeal, "discount*,deal,deals,sale,coupon*,perk*,benefit*,offer,offers,cheaper")
	b.add(kJust, "only,just want to,just wanna,simply,just need to")
	b.add(kPlace, "in the app,on the app,the app,mobile app,on the website,the website,website,on pc,on the pc,desktop,settings,account center,account settings,in settings,on my phone app")
	b.add(kWhat, "what is,what does,what for,what are,how long should,how long do,how long to,meaning of,what it means,do i need to keep,should i keep,keep it for")
	addFuzzy(b)
	lx := b.build()
	lx.woConcept = kWO
	return lx
}

// fuzzyWords are English words members misspell often enough to matter: each
// gets its edit-distance-1 spellings (insertion, deletion, substitution,
// transposition) as phrases of the same concept, unless the spelling is a
// real word listed in fuzzyStop or already a phrase.
var fuzzyWords = []struct {
	w string
	c uint8
}{
	{"cancel", kCancel}, {"cancelled", kCancelPP}, {"canceled", kCancelPP}, {"cancelling", kCancel},
	{"canceling", kCancel}, {"cancellation", kCancel}, {"membership", kMember}, {"memberships", kMember},
	{"subscription", kMember}, {"subscriptions", kMember}, {"unsubscribe", kCancelSolo},
	{"renewal", kRenew}, {"renewing", kRenew}, {"renewed", kRenew}, {"automatic", kAuto}, {"automatically", kAuto},
	{"refund", kRefund}, {"refunds", kRefund}, {"refunded", kRefund}, {"member", kMember}, {"premium", kMember},
	{"terminate", kCancel}, {"discontinue", kCancel}, {"deactivate", kCancel}, {"expire", kExpire},
	{"expiration", kExpire}, {"representative", kHuman}, {"complaint", kComplain}, {"subscribe", kOn},
	{"autorenew", kAutoRenew}, {"recurring", kAutoRenew}, {"renew", kRenew}, {"human", kHuman}, {"agent", kHuman},
	{"ticket", kTicket}, {"policy", kPolicy}, {"order", kOrder}, {"booking", kOther}, {"reservation", kOther}, {"appointment", kOther}, {"newsletter", kOther},
}

var fuzzyStop = map[string]bool{
	"cancer": true, "ember": true, "mender": true, "members": false, "candle": true, "camel": true,
	"rene": true, "renee": true, "reset": true, "empire": true, "police": true, "polity": true, "picket": true,
	"wicket": true, "ticked": true, "tickle": true, "tucket": true, "humans": false, "humane": true,
	"agents": false, "agenda": true, "aged": true, "urgent": true, "regent": true, "expired": false,
	"remember": true, "number": true, "lumber": true, "umber": true, "premiums": false, "refunds": false,
	"subscriber": true, "refine": true, "rotund": true, "renal": true, "reneged": true, "cancels": false,
	"automatics": true, "antomatic": true, "gent": true, "agene": true, "humor": true, "human": false,
	"cancell": false, "hunan": true, "pokicy": false, "polic": false, "exire": false, "expite": false,
	"recruiting": true, "reoccurring": false, "recurrent": true, "rent": true, "renews": false, "renewa": false,
	"ageny": false, "agend": true, "agen": false, "aunt": true, "hman": false, "hum": true, "huma": false,
	"tickets": false, "ticker": true, "tacket": true, "jacket": true, "rocket": true, "socket": true, "pocket": true,
	"racket": true, "locket": true, "icket": false, "thicket": true, "cricket": true, "tickey": false,
	"member's": true, "memb": false, "mamber": false, "ember's": true, "premier": true, "premiu": false,
	"reform": true, "refuted": true, "refund's": true, "deactivated": false, "activate": true,
	"terminal": true, "terminated": false, "determinate": true, "unsubscribed": false, "subscribed": true,
	"subscriber's": true, "subscribe": false, "renewals": false, "renewer": false, "reviewal": true,
	"revival": true, "reneweing": false, "expires": false, "expired's": true, "explre": false, "expose": true,
	"complains": false, "complained": true, "compliant": true, "complaints": false,
}

func addFuzzy(b *lexBuilder) {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	for _, fw := range fuzzyWords {
		w := fw.w
		full := len(w) >= 6 // short words: only deletions and transpositions
		var vs []string
		for i := 0; i < len(w); i++ { // deletion
			vs = append(vs, w[:i]+w[i+1:])
		}
		for i := 0; i+1 < len(w); i++ { // transposition
			vs = append(vs, w[:i]+string(w[i+1])+string(w[i])+w[i+2:])
		}
		if full {
			for i := 0; i <= len(w); i++ { // insertion
				for _, c := range letters {
					vs = append(vs, w[:i]+string(c)+w[i:])
				}
			}
			for i := 0; i < len(w); i++ { // substitution
				for _, c := range letters {
					if byte(c) != w[i] {
						vs = append(vs, w[:i]+string(c)+w[i+1:])
					}
				}
			}
		}
		for _, v := range vs {
			if len(v) < 4 || v == w || fuzzyStop[v] || b.covers(v) {
				continue
			}
			b.insert(v, lexPhrase{c: fw.c}, true)
		}
	}
}
