#!/usr/bin/env python3
"""Build dev.tsv and test.tsv from public intent corpora already on disk.

Reads only local files (it downloads nothing) and writes
OUT/dev.tsv and OUT/test.tsv in the format of testdata/nlu/utterances.tsv:
text<TAB>intent<TAB>lang. The output is deterministic: every choice (which
utterances are kept under a cap, which half they go to) is made by the SHA-1
of the normalised text, never by chance.

Usage:
  build.py --clinc data_full.json --banking77 train.csv test.csv \
           --bitext TrainingdatasetBitextsample.csv \
           --xsid-dir DIR (en.valid.conll en.test.conll zh.valid.conll zh.test.conll) \
           --smp2017 Chinese_data.csv --chatterbot-dir DIR (chinese/*.yml traditionalchinese/*.yml) \
           --exclude testdata/nlu/utterances.tsv testdata/nlu/heldout.tsv \
           --out DIR

README.md beside this file says where each input comes from and why each
mapping is what it is.
"""
import argparse
import collections
import csv
import glob
import hashlib
import json
import os
import re

import yaml

OOS = "out_of_scope"


def norm(text):
    return re.sub(r"\s+", " ", text.replace("\t", " ")).strip()


def key(text):
    """Dedup key: case-insensitive, whitespace- and end-punctuation-blind."""
    k = norm(text).casefold()
    return re.sub(r"[\s?!.。？！,，~～]+$", "", k)


def h(text):
    return hashlib.sha1(key(text).encode("utf-8")).hexdigest()


class Rec:
    __slots__ = ("text", "label", "lang", "source", "src_intent", "pool")

    def __init__(self, text, label, lang, source, src_intent, pool):
        self.text, self.label, self.lang = norm(text), label, lang
        self.source, self.src_intent, self.pool = source, src_intent, pool


# Words that make an utterance about the membership, a refund or a person
# ambiguous when its source label says something else: such lines are dropped.
AMBIG_EN = re.compile(
    r"subscri|member|refund|reimburs|money back|\bagents?\b|representative|"
    r"\bhuman|\boperator|real person|customer (service|support|care)|"
    r"(cancel|close|delete|terminate|shut)\w* (down )?(my|the|this|your) account",
    re.I,
)
AMBIG_ZH = re.compile(r"会员|會員|退订|退款|续费|續費|人工客服|客服|转人工|投诉|VIP", re.I)

# Near-miss lines that use a cancelling / switching-off verb are taken first.
CANCEL_WORDS = re.compile(
    r"cancel|delete|remove|stop|turn off|switch off|shut off|unsubscribe|"
    r"terminate|disable|get rid|取消|删除|删掉|关掉|关闭|停止|不要|去掉|撤销",
    re.I,
)


# ---- CLINC150 -------------------------------------------------------------
CLINC_SMALLTALK = {
    "goodbye", "thank_you", "tell_joke", "fun_fact", "how_old_are_you",
    "what_is_your_name", "where_are_you_from", "who_made_you",
    "meaning_of_life", "do_you_have_pets", "what_are_your_hobbies",
    "who_do_you_work_for", "user_name", "change_ai_name", "change_user_name",
}
CLINC_NEARMISS = {
    "cancel_reservation", "alarm", "reminder", "reminder_update", "timer",
    "calendar_update", "todo_list_update", "shopping_list_update",
    "freeze_account", "report_lost_card", "replacement_card_duration",
    "damaged_card", "new_card", "expiration_date", "card_declined",
    "account_blocked", "direct_deposit", "transfer", "order",
    "order_status", "pay_bill", "bill_due", "bill_balance",
    "application_status", "pto_request_status", "confirm_reservation",
    "insurance_change", "credit_limit_change", "pin_change", "redeem_rewards",
    "rewards_balance", "report_fraud", "reset_settings", "sync_device",
}
# "cancel" in CLINC150 is "cancel that / stop / never mind": no object, so it
# is dropped, as are yes/no/maybe (answers a flow consumes, not intents) and
# are_you_a_bot ("am I talking to a real person?" reads as a human_agent ask).
CLINC_DROP = {"cancel", "yes", "no", "maybe", "are_you_a_bot"}


def clinc(path):
    data = json.load(open(path, encoding="utf-8"))
    for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test"):
        for text, intent in data[split]:
            if intent in CLINC_DROP:
                continue
            if intent == "greeting":
                yield Rec(text, "greeting", "en", "clinc150", intent, "main")
            elif intent == "what_can_i_ask_you":
                yield Rec(text, "help", "en", "clinc150", intent, "main")
            else:
                if AMBIG_EN.search(text):
                    continue
                pool = ("smalltalk" if intent in CLINC_SMALLTALK else
                        "nearmiss" if intent in CLINC_NEARMISS else "other")
                yield Rec(text, OOS, "en", "clinc150", intent, pool)


# ---- Banking77 --------------------------------------------------------------
B77_NEARMISS = {
    "cancel_transfer", "direct_debit_payment_not_recognised",
    "card_payment_not_recognised", "lost_or_stolen_card", "compromised_card",
    "reverted_card_payment?", "automatic_top_up", "card_about_to_expire",
    "pending_transfer", "transfer_timing", "declined_transfer",
    "failed_transfer", "pin_blocked", "card_swallowed", "lost_or_stolen_phone",
}
# terminate_account ("close my account") is ambiguous with leaving the
# membership; request_refund / Refund_not_showing_up are refunds of card
# purchases, ambiguous with kefu's refund_policy.
B77_DROP = {"terminate_account", "request_refund", "Refund_not_showing_up"}


def banking77(paths):
    for path in paths:
        for row in csv.DictReader(open(path, encoding="utf-8")):
            intent = row["category"]
            if intent in B77_DROP or AMBIG_EN.search(row["text"]):
                continue
            pool = "nearmiss" if intent in B77_NEARMISS else "other"
            yield Rec(row["text"], OOS, "en", "banking77", intent, pool)


# ---- Bitext customer support (27 intents) -----------------------------------
BITEXT_LABEL = {
    "check_refund_policy": "refund_policy",
    "get_refund": "refund_policy",
    "contact_human_agent": "human_agent",
    "complaint": "human_agent",  # kefu hands a complaint to a person
}
# delete_account: "close my account" (ambiguous); track_refund: refund_policy
# or work_order_status; check_cancellation_fee: cancelling what?;
# contact_customer_service: mostly asks for a phone number or e-mail address.
BITEXT_DROP = {"delete_account", "track_refund", "check_cancellation_fee",
               "contact_customer_service"}
BITEXT_NEARMISS = {"cancel_order", "newsletter_subscription", "change_order",
                   "payment_issue", "switch_account", "edit_account",
                   "track_order"}
# get_refund lines about an event, a ticket or an order are refunds of
# something other than a membership: dropped as ambiguous.
BITEXT_REFUND_OTHER = re.compile(
    r"event|concert|show|game|match|ticket|festival|flight|trip|postpone|"
    r"order|cancel", re.I)


PERSON = re.compile(r"\bagents?\b|representative|\bhuman|\boperator|\bperson\b|someone|"
                    r"customer (service|support|care)", re.I)


def bitext(path):
    for row in csv.DictReader(open(path, encoding="utf-8-sig")):
        text, intent = row["utterance"], row["intent"]
        if intent in BITEXT_DROP or "{{" in text:
            continue
        label = BITEXT_LABEL.get(intent, OOS)
        if label == "refund_policy":
            if intent == "get_refund" and BITEXT_REFUND_OTHER.search(text):
                continue
            if PERSON.search(text):  # "ask an agent if I can get a refund"
                continue
            yield Rec(text, label, "en", "bitext", intent, "main")
        elif label == "human_agent":
            if re.search(r"refund|reimburs|cancel|subscri|member", text, re.I):
                continue
            yield Rec(text, label, "en", "bitext", intent, "main")
        else:
            if intent == "newsletter_subscription":
                # only lines that name the newsletter: a bare "unsubscribe me"
                # could be the membership
                if "newsletter" not in text.lower():
                    continue
                if re.search(r"member|refund|agent|representative|human|operator|customer (service|support)", text, re.I):
                    continue
            elif AMBIG_EN.search(text):
                continue
            if re.search(r"\bperson\b|assistant|someone", text, re.I):
                continue
            pool = "nearmiss" if intent in BITEXT_NEARMISS else "other"
            yield Rec(text, OOS, "en", "bitext", intent, pool)


# ---- xSID (English and its Chinese translation) -----------------------------
def xsid(xdir, lang_file, lang):
    for split in ("valid", "test"):
        text = None
        for line in open(os.path.join(xdir, f"{lang_file}.{split}.conll"), encoding="utf-8"):
            if line.startswith("# text = "):
                text = line[len("# text = "):].rstrip("\n")
            elif line.startswith("# intent = ") and text is not None:
                intent = line[len("# intent = "):].strip()
                ambig = AMBIG_EN if lang == "en" else AMBIG_ZH
                if not ambig.search(text):
                    pool = "nearmiss" if intent.split("/")[0] in ("alarm", "reminder") else "other"
                    yield Rec(text, OOS, lang, "xsid-" + lang_file, intent, pool)
                text = None


# ---- SMP2017-ECDT task 1 (Chinese, 31 domains) ------------------------------
SMP_GREETING = {"你好吗你好吗好吗", "哈喽好久不见你开心吗", "嗨吃晚饭了吗"}
SMP_HELP = {"你还能做什么", "你能干嘛？", "你能干什么啊", "你可以做什么",
            "还是想知道你能做些什么", "你能做点什么"}
# chat lines that mix a greeting or a "what can you do" with something else,
# or read as a member lost in the bot ("whatever I ask you don't know")
SMP_DROP = {"你好慢吗！", "哎你好我的梦想是什么", "你好能看懂表情吗呲牙",
            "不多不要紧都会什么", "怎么我问你什么你都不知道", "你还会什么古诗",
            "你会做菜吗?", "你能帮我写作业吗", "有什么用呢", "没听清吗"}


SMP_CAPABILITY = re.compile(r"你(还)?(会|能|可以)(做|干|帮)|特长|本领|功能|本事|你会什么|有什么用")


def smp2017(path):
    for row in csv.DictReader(open(path, encoding="utf-8"), delimiter="\t"):
        text, dom = row["Sentence"], row["Tag"]
        if text in SMP_DROP or text.startswith("你好女儿") or AMBIG_ZH.search(text):
            continue
        if dom == "chat" and text not in SMP_HELP and SMP_CAPABILITY.search(text):
            continue  # "what are you good at": help or not?
        if dom == "chat" and text in SMP_GREETING:
            yield Rec(text, "greeting", "zh-CN", "smp2017", dom, "main")
        elif dom == "chat" and text in SMP_HELP:
            yield Rec(text, "help", "zh-CN", "smp2017", dom, "main")
        else:
            yield Rec(text, OOS, "zh-CN", "smp2017", dom,
                      "chat" if dom == "chat" else "nearmiss" if dom in ("schedule", "app", "message", "email", "telephone", "contacts") else "other")


# ---- chatterbot-corpus, Chinese and traditional Chinese ---------------------
CB_OOS_FILES = ("ai", "botprofile", "emotion", "trivia", "science", "history",
                "money", "psychology", "literature")
CB_GREETING = re.compile(r"^(你好|嗨|欢迎|歡迎|早上好|很高兴|很高興|你還好|你还好|你好嗎)")


def chatterbot(cdir):
    for sub in ("chinese", "traditionalchinese"):
        for f in sorted(glob.glob(os.path.join(cdir, sub, "*.yml"))):
            name = os.path.basename(f)[:-4]
            convs = yaml.safe_load(open(f, encoding="utf-8")).get("conversations") or []
            for conv in convs:
                first = str(conv[0])
                if name in ("greetings", "conversations"):
                    if CB_GREETING.search(first) and not re.search(r"新闻|新聞|书|書|谁|誰", first):
                        yield Rec(first, "greeting", "zh-CN", "chatterbot-zh", name, "main")
                elif name in CB_OOS_FILES and not AMBIG_ZH.search(first):
                    yield Rec(first, OOS, "zh-CN", "chatterbot-zh", name, name)


# ---- selection ---------------------------------------------------------------
# (source, label, pool) -> cap. Pools not listed take nothing.
CAPS = {
    ("clinc150", "greeting", "main"): 100,
    ("clinc150", "help", "main"): 100,
    ("clinc150", OOS, "nearmiss"): 160,
    ("clinc150", OOS, "smalltalk"): 100,
    ("clinc150", OOS, "other"): 80,
    ("banking77", OOS, "nearmiss"): 150,
    ("banking77", OOS, "other"): 50,
    ("bitext", "refund_policy", "main"): 100,
    ("bitext", "human_agent", "main"): 100,
    ("bitext", OOS, "nearmiss"): 100,
    ("bitext", OOS, "other"): 60,
    ("xsid-en", OOS, "nearmiss"): 100,
    ("xsid-en", OOS, "other"): 50,
    ("xsid-zh", OOS, "nearmiss"): 100,
    ("xsid-zh", OOS, "other"): 50,
    ("smp2017", "greeting", "main"): 100,
    ("smp2017", "help", "main"): 100,
    ("smp2017", OOS, "chat"): 180,
    ("smp2017", OOS, "nearmiss"): 100,
    ("smp2017", OOS, "other"): 150,
    ("chatterbot-zh", "greeting", "main"): 100,
}
for f in CB_OOS_FILES:
    CAPS[("chatterbot-zh", OOS, f)] = 12


def pick(recs, cap, nearmiss):
    """Round-robin over source intents, each in hash order; in near-miss pools
    lines with a cancelling verb go first."""
    by_intent = collections.OrderedDict()
    for r in sorted(recs, key=lambda r: (r.src_intent, h(r.text))):
        by_intent.setdefault(r.src_intent, []).append(r)
    queues = [sorted(v, key=lambda r: (not (nearmiss and CANCEL_WORDS.search(r.text)), h(r.text)))
              for v in by_intent.values()]
    if nearmiss:
        first = [r for q in queues for r in q if CANCEL_WORDS.search(r.text)]
        first.sort(key=lambda r: h(r.text))
        # at most half of the cap from the cancelling-verb lines, so that the
        # pool still spans its intents
        chosen = first[: cap // 2]
        taken = {id(r) for r in chosen}
        queues = [[r for r in q if id(r) not in taken] for q in queues]
    else:
        chosen = []
    i = 0
    while len(chosen) < cap and any(queues):
        q = queues[i % len(queues)]
        if q:
            chosen.append(q.pop(0))
        i += 1
    return chosen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clinc", required=True)
    ap.add_argument("--banking77", nargs="+", required=True)
    ap.add_argument("--bitext", required=True)
    ap.add_argument("--xsid-dir", required=True)
    ap.add_argument("--smp2017", required=True)
    ap.add_argument("--chatterbot-dir", required=True)
    ap.add_argument("--exclude", nargs="*", default=[])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    seen = set()
    for path in a.exclude:  # the project's own tuning sets
        for line in open(path, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                seen.add(key(line.split("\t")[0]))
    excluded = len(seen)

    gens = [clinc(a.clinc), banking77(a.banking77), bitext(a.bitext),
            xsid(a.xsid_dir, "en", "en"), xsid(a.xsid_dir, "zh", "zh-CN"),
            smp2017(a.smp2017), chatterbot(a.chatterbot_dir)]
    pools = collections.OrderedDict()
    dropped_dupe = 0
    for gen in gens:
        for r in gen:
            k = key(r.text)
            if not r.text or k in seen:
                dropped_dupe += 1
                continue
            seen.add(k)
            pools.setdefault((r.source, r.label, r.pool), []).append(r)

    dev, test = [], []
    for (src, label, pool), recs in pools.items():
        cap = CAPS.get((src, label, pool), 0)
        chosen = pick(recs, cap, pool == "nearmiss")
        for i, r in enumerate(sorted(chosen, key=lambda r: h(r.text))):
            (dev if i % 2 == 0 else test).append(r)

    header = ("# Public intent corpora mapped to kefu's intents; see README.md beside this file.\n"
              "# Sources: CLINC150 (CC BY 3.0), Banking77 (CC BY 4.0), Bitext customer support\n"
              "# sample (CDLA-Sharing-1.0), xSID 0.7 en+zh (CC BY-SA 4.0), SMP2017-ECDT task 1,\n"
              "# chatterbot-corpus zh (BSD-3-Clause). Built by build.py; format: text<TAB>intent<TAB>lang\n")
    os.makedirs(a.out, exist_ok=True)
    for name, recs in (("dev", dev), ("test", test)):
        recs.sort(key=lambda r: (r.source, r.label, h(r.text)))
        with open(os.path.join(a.out, name + ".tsv"), "w", encoding="utf-8") as f:
            f.write(header)
            f.write(f"# split: {name} (every other line of each source and label in SHA-1 order of the text)\n")
            cur = None
            for r in recs:
                if r.source != cur:
                    f.write(f"# source: {r.source}\n")
                    cur = r.source
                f.write(f"{r.text}\t{r.label}\t{r.lang}\n")
        with open(os.path.join(a.out, name + ".sources.tsv"), "w", encoding="utf-8") as f:
            for r in recs:
                f.write(f"{r.text}\t{r.label}\t{r.lang}\t{r.source}\t{r.src_intent}\n")
    print(f"excluded keys from project files: {excluded}; duplicates dropped: {dropped_dupe}")
    c = collections.Counter((n, r.source, r.label, r.lang) for n, rs in (("dev", dev), ("test", test)) for r in rs)
    for k in sorted(c):
        print("\t".join(k), c[k], sep="\t")
    print("dev", len(dev), "test", len(test))


if __name__ == "__main__":
    main()
