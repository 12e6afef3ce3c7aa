package dialog

// Control words inside a flow, and verification methods.
//
// A message is a command only when it is mainly that: every part of it is a
// command phrase or a filler (请, 吧, please, just, my membership); one
// unknown word and it is not a command, so "stop charging me" is not "stop"
// and "no, my number is …" is not "no".

// Command lexicon concepts.
const (
	cmNone uint8 = iota
	cmYes
	cmNo
	cmAbort     // 不取消了, keep my membership: unambiguous
	cmAbortSoft // 算了, never mind: with a bare cancel it is ambiguous ("算了，取消吧")
	cmAbortVerb // stop, 放弃: with a membership it is a cancel request ("stop my membership")
	cmRestart
	cmLangZH
	cmLangEN
	cmSkip
	cmResend
	cmCancelNow
	cmNoRenew
	cmBare   // 取消, cancel
	cmNow    // 立即, now: with a bare cancel it is cancel_now
	cmFiller // 请, 吧, please
	cmMember // 会员, membership: makes a bare cancel an intent, not a command
	cmQuestion
	cmLeave // 不需要了, I don't need it anymore: wants out of the membership, never an abort
	cmCount
)

var cmdLex = func() *lexicon {
	b := newLexBuilder()
	// Chinese
	b.add(cmYes, "是,是的,对,对的,确认,确定,好的,好,没问题,可以,行,嗯,嗯嗯,好吧,同意,继续,没错,当然,好滴,好嘞,确认无误,就这样,是滴,对滴,确定的,确认的,好呀,行吧,可以的,没错的,对头,嗯呢,确认执行,确认办理,就这么办,同意取消,确定要,确认要,肯定,是啊,对啊,好啊,ok的,行的")
	b.add(cmNo, "不是,不,否,不对,不行,不要,不可以,不同意,错了,不了,没有,没,不用谢,不确认,不要了吧,不是的,不对的,并不是,不想,算不上,没有的")
	b.add(cmAbort, "不取消了,不取消,不要取消,别取消,先不了,不办了,不弄了,我再想想,再想想,再考虑一下,考虑一下,不想取消了,不想取消,保留会员,继续当会员,不退了,取消操作,取消这个操作,撤销,撤回,不取消会员,留着吧,还是留着,先不取消,暂时不取消,还是不取消了,我不取消了,改主意了,我改主意了,不搞了,先不,再说吧,以后再说,下次吧,等等再说,想想再说,不取消会员了,会员留着,不做了,不想要取消,不想要取消了,不要取消了,终止操作,不继续了,别弄了")
	b.add(cmAbortSoft, "算了,算啦,那算了,那就算了,还是算了")
	b.add(cmAbortVerb, "放弃,停止,中止")
	b.add(cmRestart, "重新开始,从头来,从头开始,重来,重新来,再来一次,重新来过,重置,从头再来,重新开始吧,重头开始,重新")
	b.add(cmLangZH, "中文,说中文,讲中文,用中文,切换中文,切换到中文,切中文,中文吧,简体中文,汉语,普通话,请说中文,中文服务,看不懂英文,不懂英文,换中文,改中文,中文版,说汉语,换成中文,切换成中文,用中文回复")
	b.add(cmLangEN, "说英文,英文,英语,用英语,用英文,讲英语,讲英文,切换英文,切换到英文,换英文,改英文,英文版,说英语,换成英文,切换成英文,用英文回复")
	b.add(cmSkip, "跳过,不想说,没有原因,不说了,不想回答,不方便说,没什么原因,没啥原因,无,略,没什么,不告诉你,保密,没原因,不填,不写,无可奉告,就不说了,跳过吧,不方便透露,没有理由,没啥,不想讲,不讲了,不想透露,个人原因,私人原因")
	b.add(cmResend, "重发,再发一次,再发一遍,重新发送,重新发,再发,没收到,没有收到,收不到,收不到验证码,没收到验证码,验证码没收到,验证码没到,还没收到,没来,没到,重新获取,再发个,发送失败,验证码呢,验证码还没到,一直没收到,重新发一个,再发一个,再给我发,重发验证码,再发验证码,重新发验证码,没收到短信,没收到邮件,收不到短信,收不到邮件,短信没来,邮件没来,验证码没来")
	b.add(cmCancelNow, "立即取消,马上取消,现在就取消,立刻取消,现在取消,直接取消,立刻退,马上退,现在退,立即退,立即生效,马上生效,今天就取消,立即终止,立即取消会员,马上取消会员,现在就退,立刻取消会员,直接退掉,马上停,现在就停,立即停止,立即退订,马上退订,当场取消,即刻取消,立即解约")
	b.add(cmNoRenew, "到期不续费,不续费,不续了,不续,只关自动续费,关闭自动续费,关掉自动续费,关自动续费,取消自动续费,不自动续费,到期取消,到期再取消,到期后取消,到期后再取消,到期结束,用到到期,用到期,到期不续,不要续费,别续费,不再续费,只取消自动续费,只关续费,关掉续费,停止自动续费,关闭续费,到期就行,到期后不续费,用完再说,到期停,到期后停,下期不续,下个月不续,自动续费关掉,自动续费关了,关了自动续费,不要自动续费,别自动续费,到期后不再续费,不续订,到期自动结束,只是不续费,仅关闭自动续费,到期不再续费,到期后结束,到期失效")
	b.add(cmBare, "取消,取消吧,取消了,取消掉,取消它,取消啊,取消呀,取消吧取消吧,退订,退掉,解约,退了吧,退吧")
	b.add(cmNow, "立即,马上,立刻,现在,现在就,立马,即刻,今天,当场")
	b.add(cmFiller, "我,我的,要,想,请,吧,了,啊,呀,哦,噢,喔,嘛,的,就,那,那就,还是,一下,帮我,给我,谢谢,麻烦,您,你,就行,就好,就可以,哈,呗,这个,它,掉,给,帮,那个,直接,把,呃,额,亲,吧吧,我要,我想,谢了,感谢,多谢,好了,先,还,只,只要,仅,吧了,哈哈,呢,唉,哎,噢噢,哦哦,是吧,就是,那么,这样,可以了,行了,然后,但是,其实,也,都,还是吧,我觉得,我选,选,选择,方案,服务,自动,就这个,这个吧")
	b.add(cmMember, "会员,会员资格,vip,订阅,会员服务,包月,我的会员")
	b.add(cmLeave, "不需要了,不需要,不要了,不想要了,不想要,不想用了,不想再用了,用不上了,用不上,用不着了,用不着,没用了,没什么用,不用了,不用,不玩了,不想玩了,不想当了,不想当会员了,没必要了,没必要,不需要这个,不要这个,不想要这个,不需要会员了,不想要会员了,会员不要了,会员不需要了,会员没用了,不划算,太贵了,不值,不值得")
	b.add(cmQuestion, "吗,是吗,是不是,么,能不能,可不可以,为什么,怎么,什么,多少,有没有,会不会,行不行,对吗,好吗,可以吗")
	// English
	b.add(cmYes, "yes,y,ok,okay,okey,k,kk,confirm,confirmed,sure,yep,yeah,yup,ya,yea,correct,right,go ahead,do it,proceed,affirmative,absolutely,of course,thats right,sounds good,fine,alright,all right,yes please,please do,i confirm,confirm it,yes i confirm,definitely,certainly,agreed,i agree,that is right,thats correct,that is correct,exactly,indeed,yes yes,go for it,lets do it,lets go,carry on,continue,uh huh,yess,yesss,yas,sure thing,why not,do that,im sure,i am sure,confirm cancellation,confirm cancelation,yes cancel it,please proceed,ok do it,okay do it")
	b.add(cmNo, "no,n,nope,nah,not,no way,negative,wrong,not really,no no,dont,do not,no thanks,no thank you,i dont,i do not,not that,incorrect,thats wrong,not correct,noo,nooo,no it isnt,no its not")
	b.add(cmAbort, "i changed my mind,changed my mind,change of mind,ive changed my mind,keep my membership,keep it,keep membership,keep my subscription,keep my vip,dont cancel,do not cancel,dont cancel it,do not cancel it,dont cancel my membership,not now,maybe later,later,ill stay,i will stay,i want to stay,stay,undo,leave it,leave it as is,i dont want to cancel,i do not want to cancel,i dont want to cancel anymore,dont want to cancel,no dont cancel,cancel the cancellation,stop this,stop it,i want to keep it,i want to keep my membership,ill keep it,i will keep it,ill keep my membership,on second thought,second thoughts,im staying,i am staying,back out,i give up,let me think,let me think about it,ill think about it,i will think about it,maybe not,not today,no never mind,nah never mind,actually no,stop the process,end this,cancel this process,abort it,dont do it,do not do it,dont proceed,do not proceed")
	b.add(cmAbortSoft, "never mind,nevermind,nvm,forget it,forget about it,forget that,never mind then,ok never mind,ok forget it,actually never mind")
	b.add(cmAbortVerb, "stop,quit,exit,halt,abort")
	b.add(cmRestart, "start over,restart,reset,begin again,start again,from the beginning,start from scratch,start from the beginning,new conversation,start fresh,lets start over,go back to the start,back to start,over again,redo,do it again from the start,start anew")
	b.add(cmLangZH, "chinese,in chinese,chinese please,speak chinese,switch to chinese,mandarin,zh,cn,chinese version,use chinese,change to chinese,can you speak chinese,do you speak chinese,reply in chinese,simplified chinese,talk in chinese")
	b.add(cmLangEN, "english,in english,english please,speak english,switch to english,en,eng,can you speak english,do you speak english,i dont understand chinese,i dont speak chinese,i cant read chinese,no chinese,english version,use english,change to english,reply in english,talk in english,english only,i cant read this,cant read chinese,speak in english")
	b.add(cmSkip, "skip,skip it,no reason,rather not say,prefer not to say,id rather not,id rather not say,none,nothing,n a,na,pass,no comment,not telling,private,skip this,skip that,prefer not,rather not,i prefer not to say,i would rather not say,personal reasons,personal,its personal,no particular reason,no specific reason,none of your business,dont want to say,i dont want to say,do not want to say,not saying,skip the reason,skip reason,no reasons,just because,next")
	b.add(cmResend, "resend,re send,send again,send it again,send another,send another code,send a new code,new code,didnt get the code,didnt get it,didnt receive,did not receive,didnt receive the code,did not receive the code,havent received,have not received,not received,no code,code didnt arrive,code did not arrive,still waiting,still nothing,nothing came,never got,never got it,never got the code,i didnt get a code,i did not get a code,didnt get a code,resend the code,resend code,send the code again,send code again,please resend,can you resend,the code never came,no code yet,code not received,havent got the code,havent gotten the code,i havent received it,where is the code,wheres the code,code please,another code,send me another code,send me a new code,get a new code,i need a new code,try again,send again please,code expired,the code expired,it expired,didnt come,did not come,no sms,no email,no text,got nothing,nothing yet,havent gotten it,still no code")
	b.add(cmCancelNow, "cancel now,cancel immediately,cancel right now,cancel it now,end it now,end now,cancel today,cancel right away,now please,effective immediately,cancel it immediately,cancel it right now,cancel it right away,stop it now,end it immediately,end immediately,immediate cancellation,immediately cancel,cancel effective immediately,cancel straight away,right away,straight away,cancel my membership now,cancel my membership immediately,cancel membership now,end my membership now,terminate now,terminate immediately,cancel asap,asap,this instant,cancel at once,at once,cancel it today,end it today,cancel now please")
	b.add(cmNoRenew, "dont renew,do not renew,no renew,turn off auto renew,turn off auto renewal,turn off autorenew,turn off auto renew only,only turn off auto renew,just turn off auto renew,stop auto renew,cancel auto renew,disable auto renew,let it expire,let it run out,at the end of the period,at period end,end of period,end of term,at the end of the term,cancel at period end,cancel at the end of the period,dont auto renew,do not auto renew,no auto renew,no renewal,dont want to renew,do not want to renew,keep until expiry,keep it until it expires,until it expires,at expiry,just dont renew,dont renew it,do not renew it,stop renewal,stop renewing,no more renewals,cancel renewal,cancel the renewal,cancel auto renewal,turn off renewal,turn off the auto renew,turn off automatic renewal,disable automatic renewal,disable auto renewal,just turn off auto renewal,only turn off auto renewal,only auto renew,just auto renew,auto renew off,let it lapse,let it end,end of billing period,at the end of the billing period,at the end of my billing period,when it expires,after it expires,when the period ends,dont renew please,not renew,wont renew,expire,let the membership expire,let my membership expire,let my subscription expire,keep it until the end,keep until the end,use it until it ends,until the end of the period,non renewal,no renew please")
	b.add(cmBare, "cancel,cancel it,cancel that,cancel please,please cancel,just cancel,just cancel it,cancel pls,cancel plz,do cancel,unsubscribe,cancel cancel,cancellation,cancel please thanks")
	b.add(cmNow, "now,right now,today,immediately,instantly")
	b.add(cmFiller, "anymore,any more,at all,i,im,me,my,it,its,the,a,an,to,please,pls,plz,just,then,thanks,thank,thank you,thx,ty,you,well,so,oh,um,uh,umm,uhh,hmm,hm,ah,actually,lets,let,go,want,would,like,id,do,can,could,will,that,this,is,and,for,instead,only,mean,i mean,think,i think,guess,i guess,choose,pick,option,the one,one,sir,maam,dear,bot,fine then,ok then,okay then,alright then,haha,lol,again,thats,all,thats all,done,good,great,cool,nice,perfect,then please,honestly,anyway,id like to,i want to,i would like to,i choose,i pick,go with,lets go with,ill go with,i will go with,i prefer,prefer,be,am,are,was,we,our,your,yours,with,of,on,at,in,it please,hi,hello,hey")
	b.add(cmMember, "membership,subscription,vip,plan,my membership,my subscription,account,premium,member")
	b.add(cmLeave, "dont need it anymore,dont need it any more,dont need it,i dont need it,no longer need it,no longer need,dont want it anymore,dont want it any more,dont want it,i dont want it,dont use it anymore,dont use it,not using it,no longer using it,no longer use it,dont need this anymore,dont need this,dont want this anymore,dont want this,its useless,useless,not worth it,too expensive,i dont need the membership,dont need the membership anymore,dont want the membership anymore,no use for it,no need for it,have no use for it,i dont need it anymore,i dont need it any more,i dont need it,i no longer need it,i no longer need,i dont want it anymore,i dont want it any more,i dont want it,i dont use it anymore,i dont use it,i no longer using it,i no longer use it,i dont need this anymore,i dont need this,i dont want this anymore,i dont want this,i dont need the membership anymore,i dont want the membership anymore")
	b.add(cmQuestion, "?,what,why,how,when,where,which,who,is it,are you,do you,can you,could you,will you,does it,really,whats,hows,is that")
	return b.build()
}()

// detectCommand reads a whole message as a command.
func detectCommand(text string) Command {
	if len(text) > 300 {
		return CmdNone
	}
	var nb [256]byte
	s, info := normalizeTo(nb[:0], text, true)
	if len(s) == 0 || len(s) > 200 {
		return CmdNone
	}
	var tb [24]token
	toks, st := cmdLex.scan(s, tb[:0])
	if st.gaps > 0 {
		return CmdNone
	}
	var cnt [cmCount]int
	for _, t := range toks {
		if t.c < cmCount {
			cnt[t.c]++
		}
	}
	question := info.question || cnt[cmQuestion] > 0
	switch {
	case cnt[cmRestart] > 0:
		return CmdRestart
	case cnt[cmLangZH] > 0 && cnt[cmLangEN] == 0:
		return CmdLangZH
	case cnt[cmLangEN] > 0 && cnt[cmLangZH] == 0:
		return CmdLangEN
	case cnt[cmResend] > 0:
		return CmdResend
	}
	if question && cnt[cmYes]+cnt[cmNo]+cnt[cmBare]+cnt[cmSkip] > 0 && cnt[cmAbort]+cnt[cmAbortSoft]+cnt[cmAbortVerb]+cnt[cmCancelNow]+cnt[cmNoRenew] == 0 {
		return CmdNone // 是吗? / really? / cancel what?
	}
	now := cnt[cmCancelNow] > 0 || cnt[cmNow] > 0 && cnt[cmNo] == 0 && cnt[cmAbort]+cnt[cmAbortSoft]+cnt[cmAbortVerb] == 0
	leave := cnt[cmLeave] > 0 && cnt[cmAbort] == 0
	switch {
	case leave && question:
		return CmdNone // 不需要了吗? is not an answer
	case leave && !now && cnt[cmNoRenew] == 0:
		if cnt[cmBare]+cnt[cmYes] > 0 {
			return CmdLeaveCancel // 不要了，取消吧: wants out and says so
		}
		return CmdLeave // 不需要了, 算了不要了: wants out, never an abort
	case now && cnt[cmNoRenew] > 0:
		return CmdNone // both options at once: let the flow ask
	case now:
		return CmdCancelNow
	case cnt[cmNoRenew] > 0:
		return CmdNoRenew
	case cnt[cmAbort] > 0:
		return CmdAbort
	case cnt[cmAbortVerb] > 0 && cnt[cmMember] > 0:
		return CmdNone // "stop my membership", "quit VIP": an intent
	case cnt[cmAbortSoft]+cnt[cmAbortVerb] > 0 && cnt[cmBare]+cnt[cmYes] > 0:
		return CmdBareCancel // 算了，取消吧: give up the flow, or cancel? ask
	case cnt[cmAbortSoft]+cnt[cmAbortVerb] > 0:
		return CmdAbort
	case cnt[cmSkip] > 0 && cnt[cmYes] == 0:
		return CmdSkip
	case cnt[cmBare] > 0 && cnt[cmYes] > 0 && cnt[cmNo] == 0:
		return CmdYes // 确认取消, "yes, cancel"
	case cnt[cmBare] > 0:
		if cnt[cmMember] > 0 && cnt[cmNo] == 0 {
			return CmdNone // 取消会员: an intent, read by Classify
		}
		return CmdBareCancel
	case cnt[cmYes] > 0 && cnt[cmNo] > 0:
		return CmdNone
	case cnt[cmYes] > 0:
		return CmdYes
	case cnt[cmNo] > 0:
		return CmdNo
	}
	return CmdNone
}

// Method lexicon concepts.
const (
	mtNone uint8 = iota
	mtSMS
	mtEmail
	mtQuestions
	mtNeg      // 不要, no, not: refuses the method that follows
	mtNegAfter // 丢了, lost, not working: refuses the method before it
)

var methodLex = func() *lexicon {
	b := newLexBuilder()
	b.add(mtSMS, "短信,手机验证码,发短信,手机,电话,手机号,短讯,简讯,发手机,发到手机,手机短信,短信验证,短信验证码,手机号码,电话号码,号码,手机收,发我手机,sms,text,text me,texting,text message,by text,phone,mobile,cell,cellphone,phone number,mobile number,via sms,by sms,send to my phone,to my phone,texts,message me,sms code,text code")
	b.add(mtEmail, "邮箱,邮件,电邮,电子邮件,邮箱验证,邮箱验证码,发邮件,发邮箱,发到邮箱,邮件验证,qq邮箱,email,e mail,mail,gmail,inbox,by email,via email,email me,send to my email,to my email,mailbox,outlook,hotmail,email code,emails")
	b.add(mtQuestions, "安全问题,密保问题,密保,回答问题,问题,答题,安全提问,回答,问答,验证问题,回答安全问题,答问题,通过问题,用问题,问我问题,security question*,question*,answer questions,answer the questions,quiz,security,answer some questions,ask me questions,secret question*,verify with questions,the questions")
	b.add(mtNeg, "不要,不用,别,没有,不想,不想用,不方便,no,not,dont,without,cant use,dont have,no access to,do not have,cannot use,not by,rather not,instead of,不是,不用了,换掉,除了")
	b.add(mtNegAfter, "丢了,丢,没电,停机,坏了,不在身边,换号,收不到,没信号,欠费,注销了,没收到,用不了,登不上,不能用,找不到,lost,broken,dead,stolen,not with me,not working,doesnt work,is dead,died,no signal,cant access,no access,didnt arrive,never arrives,not arriving,changed")
	return b.build()
}()

// detectMethod finds the first verification method that the message does
// not refuse ("手机丢了，用邮箱" → email).
func detectMethod(text string) (Method, bool) {
	var nb [256]byte
	if len(text) > 1000 {
		text = text[:1000]
	}
	s, _ := normalizeTo(nb[:0], text, true)
	var tb [24]token
	toks, _ := methodLex.scan(s, tb[:0])
	for i, t := range toks {
		var m Method
		switch t.c {
		case mtSMS:
			m = MethodSMS
		case mtEmail:
			m = MethodEmail
		case mtQuestions:
			m = MethodQuestions
		default:
			continue
		}
		refused := false
		for j := i - 1; j >= 0 && t.pos-toks[j].pos <= 3; j-- {
			if toks[j].c == tokClause {
				break
			}
			if toks[j].c == mtNeg {
				refused = true
			}
		}
		for j := i - 1; j >= 0 && t.pos-toks[j].pos <= 2; j-- {
			if toks[j].c == tokClause {
				break
			}
			if toks[j].c == mtNegAfter {
				refused = true
			}
		}
		for j := i + 1; j < len(toks) && toks[j].pos-t.pos <= 3; j++ {
			if toks[j].c == tokClause {
				break
			}
			if toks[j].c == mtNegAfter {
				refused = true
			}
			if toks[j].c >= mtSMS && toks[j].c <= mtQuestions {
				break
			}
		}
		if !refused {
			return m, true
		}
	}
	return "", false
}
