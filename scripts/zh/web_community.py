"""Chinese for the mutual-aid, offer-help, rumour-triage and verified-information pages."""

ZH = {
    "A car or a lift": "车辆或搭车",
    "A generator or power": "发电机或电源",
    "A place to stay": "临时住处",
    "Active": "生效中",
    "Approve the rebuttal (a second person)": "批准辟谣（须另一人）",
    "Ask every active helper of this area to check on their neighbour now":
        "请本区域所有结对帮扶人立即探访邻居",
    "Both accepted": "双方已接受",
    "Check on neighbours": "探访邻居",
    "Check tasks start with an emergency plan, or by a committee member or commander.":
        "探访任务由应急预案启动，或由居委会成员、指挥人员发起。",
    "Checked on": "被探访人",
    "Choose a community": "选择社区",
    "Claims checked": "已核实的传言",
    "Confirm this pair": "确认结对",
    "Consent": "同意",
    "Declined by the helper": "帮扶人已拒绝",
    "Do not write phone or identity numbers. Your name is never shown with the claim.":
        "请勿填写电话或身份证号。传言旁绝不显示您的姓名。",
    "End the pair": "结束结对",
    "Ended": "已结束",
    "Fetching medicine": "代购药品",
    "First aid": "急救",
    "Food": "食物",
    "Given by the resident": "居民本人同意",
    "Heard in": "听说地点",
    "Heard something worrying — about water, power, supplies or a danger? Tell us what you "
    "heard; we check it and say publicly whether it is true.":
        "听到关于停水、停电、物资或危险的令人担心的说法？告诉我们您听到了什么；我们会核实，"
        "并公开说明是否属实。",
    "Helper": "帮扶人",
    "Helper agreed by phone": "帮扶人电话同意",
    "Helper declined by phone": "帮扶人电话拒绝",
    "Helpers: how many neighbours (1–5)": "帮扶人：可帮扶几位邻居（1–5）",
    "Home building": "所住楼栋",
    "How residents put it": "居民的说法",
    "How the resident gave consent": "居民如何表示同意",
    "How to reach them": "联系方式",
    "How to reach you, shown only after both of you accept (optional)":
        "您的联系方式，双方都接受后才会显示（选填）",
    "I agree to check on them": "我同意探访",
    "I agree: my name, home building and the note above are shown to my partner and to "
    "community staff.": "我同意：我的姓名、所住楼栋和上面的说明会显示给结对的邻居和社区工作人员。",
    "I can offer": "我能提供",
    "I cannot": "我做不到",
    "I need": "我需要",
    "I would like to take part as": "我希望参与的身份",
    "Ignore (noise)": "忽略（无关信息）",
    "Ignored": "已忽略",
    "In an emergency a neighbour who agreed checks on residents who asked for it. You take "
    "part only if you say so, and you can stop at any time.":
        "紧急情况下，愿意帮忙的邻居会探访提出需要的居民。参与完全自愿，可随时退出。",
    "Kind of help": "帮助类别",
    "Looking after children": "照看孩子",
    "Matched": "已配对",
    "Matches": "配对",
    "Must not contain a phone or identity number": "不得包含电话或身份证号",
    "Mutual aid": "邻里互助",
    "Mutual-aid pair": "互助结对",
    "My building": "我住的楼栋",
    "My grid": "我所在的网格",
    "My posts": "我的发布",
    "My whole community": "我所在的整个社区",
    "Need": "需求",
    "Neighbour to check on": "要探访的邻居",
    "Neighbours checking on neighbours": "邻里互相探访",
    "Neighbours help each other: say what you can offer or what you need, and we suggest "
    "someone close by. Nobody sees how to reach you until both of you accept.":
        "邻里互助：说说您能提供什么或需要什么，我们为您推荐附近的人。双方都接受之前，"
        "谁也看不到您的联系方式。",
    "No claim heard around here has been checked yet.": "附近听到的传言还没有核实结果。",
    "No claim here.": "这里没有传言。",
    "No match yet. We propose one as soon as a neighbour posts the same kind of help.":
        "暂无配对。一旦有邻居发布同类帮助，我们会立即推荐。",
    "No pair in this area yet.": "本区域还没有结对。",
    "No suggestion: every resident who asked to be checked on has a helper, or no helper "
    "lives close enough.": "没有建议：需要探访的居民都已有帮扶人，或附近没有帮扶人。",
    "Nobody in this area has opted in yet.": "本区域还没有人登记参与。",
    "Not this one": "不合适",
    "Offer": "提供",
    "Offer help": "提供帮助",
    "Offer help or say what you need": "提供帮助或说明需求",
    "Official notices in force": "生效中的官方通知",
    "Pair": "结对",
    "Pairing suggestions": "结对建议",
    "Pairs": "结对",
    "Post": "发布",
    "Proposed": "已推荐",
    "Read the verified information for your community": "查看本社区的核实信息",
    "Rebut (it is false)": "辟谣（不属实）",
    "Rebuttal notice": "辟谣通知",
    "Rebuttal title (optional)": "辟谣标题（选填）",
    "Rebutted: false": "已辟谣：不属实",
    "Record a resident's opt-in": "登记居民参与",
    "Record the opt-in": "登记参与",
    "Record the verdict": "记录核实结果",
    "Recorded by staff": "工作人员代为登记",
    "Report": "提交",
    "Report a rumour": "报告传言",
    "Resident's code": "居民编码",
    "Residents take part only with their consent. A partner sees the other's name, home "
    "building and what they chose to share — never a phone, health or disability.":
        "居民须本人同意才参与。结对双方只看到对方的姓名、所住楼栋和本人愿意分享的说明，"
        "绝不显示电话、健康或残疾信息。",
    "Residents who opted in": "已登记参与的居民",
    "Rumour rebuttals and verified information": "辟谣与核实信息",
    "Rumour rebuttals, claims checked by your community, and official notices":
        "辟谣、社区核实过的说法和官方通知",
    "Rumours": "传言",
    "Rumours checked by your community: what is true and what is not":
        "社区核实过的传言：哪些属实，哪些不属实",
    "Same building": "同一楼栋",
    "Same community": "同一社区",
    "Same grid": "同一网格",
    "Say a little more": "补充说明",
    "Send the rebuttal": "发送辟谣",
    "Similar claims heard in one street are grouped; the most reported first. A rebuttal "
    "becomes a draft public notice: a second person approves it, then it is sent to the "
    "residents where the claim was heard.":
        "同一街道听到的相似说法归为一组，报告最多的排在前面。辟谣会生成公开通知草稿："
        "由另一人批准后，发送给听到该传言地区的居民。",
    "Something else": "其他",
    "Stop taking part": "退出",
    "Take part": "参与",
    "Takes part as": "参与身份",
    "Thank you. Your community's staff check what residents report and publish what they "
    "find.": "谢谢。社区工作人员会核实居民报告的内容，并公布核实结果。",
    "Thank you. Your post is saved; any match we find is shown below.":
        "谢谢。您的发布已保存；找到的配对会显示在下方。",
    "The name your neighbour sees (optional)": "邻居看到的称呼（选填）",
    "They left no contact note; your committee can put you in touch.":
        "对方没有留下联系方式；居委会可以帮您联系。",
    "Tick the box to give your consent": "请勾选以表示同意",
    "Triaged {value}": "{value} 已处理",
    "Verdict": "核实结论",
    "Verified information": "核实信息",
    "Verified: true": "已核实：属实",
    "Verify (it is true)": "核实（属实）",
    "Waiting for a match": "等待配对",
    "Waiting for the helper's answer": "等待帮扶人答复",
    "Waiting for triage": "等待处理",
    "Wants to be checked on": "希望有人探访",
    "Water": "饮用水",
    "What did you hear?": "您听到了什么？",
    "What do you want to do?": "您想做什么？",
    "What the resident chose to share with their partner (optional)":
        "居民愿意告诉结对邻居的说明（选填）",
    "What they chose to share": "本人愿意分享的说明",
    "What we found": "核实结果",
    "What we found, in Chinese": "核实结果（中文）",
    "What we found, in English": "核实结果（英文）",
    "What your partner may know, e.g. 'knock hard, I am hard of hearing' (optional)":
        "想让结对邻居知道的事，例如“请用力敲门，我听力不好”（选填）",
    "Where": "地点",
    "Where I live": "我住的地方",
    "Where did you hear it?": "在哪里听到的？",
    "Withdraw": "撤回",
    "Withdraw consent": "撤回同意",
    "Withdrawn": "已撤回",
    "You accepted. Waiting for the other side; their contact note appears here once they "
    "accept too.": "您已接受。正在等待对方；对方也接受后，这里会显示其联系方式。",
    "You check on": "您探访",
    "You have not posted anything yet.": "您还没有发布任何内容。",
    "You take part as": "您的参与身份",
    "Your helper": "您的帮扶人",
    "e.g. signed form at a home visit on 20 Nov": "例如：11 月 20 日入户时签署同意书",
    "first {value}": "首次 {value}",
    "for your post: {value}": "对应您的发布：{value}",
    "last {value}": "最近 {value}",
    "reported {value} times": "被报告 {value} 次",
    "up to {value} neighbours": "最多 {value} 位邻居",
    "{created} check tasks issued; {already} pairs already had one today.":
        "已发出 {created} 个探访任务；{already} 个结对今天已有任务。",
    "{value} m apart": "相距 {value} 米",
}
