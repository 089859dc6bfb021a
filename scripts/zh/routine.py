"""Chinese translations for the normal-time routine (top-ups, rotation, reminders, drills)."""

ZH = {
    "A drill is scheduled in the future": "演练时间须在将来",
    "Drill reminders": "演练提醒",
    "Drill {id} in {area} on {date}: {title}": "演练 {id}（{area}，{date}）：{title}",
    "Drills are scheduled for a street or a community": "演练只能安排在街道或社区",
    "Issued": "已发出",
    "Job": "任务类型",
    "Last issued": "最近发出",
    "Only a scheduled drill can be cancelled": "只有已安排的演练可以取消",
    "Only a scheduled drill can be held": "只有已安排的演练可以记为已举行",
    "Prepare the drill \u201c{title}\u201d on {date}": "筹备演练“{title}”（{date}）",
    "Qualification reminders": "资格证书到期提醒",
    "Renew the qualification \u201c{name}\u201d before {date}":
        "请在 {date} 前续期资格证书“{name}”",
    "Reserve top-ups": "储备补充",
    "Rotate {quantity} {unit} of {type} expiring on {date}":
        "轮换 {date} 到期的 {type} {quantity} {unit}",
    "Routine of {area} on {date}": "{area} 常态工作（{date}）",
    "Routine run": "常态工作运行结果",
    "Stock rotation": "物资轮换",
    "This month": "本月",
    "Top up the community reserve ({period})": "补充社区应急储备（{period}）",
    "Total": "合计",
    "Unknown drill {value}": "未知演练 {value}",
    "Unknown job {name}": "未知任务类型 {name}",
    "Use it in normal service or hand it on before it expires, then restock and record the "
    "new expiry date.": "请在到期前将其用于日常服务或转交他用，然后补充库存并登记新的到期日期。",
    "{missing} of {total} communities have nobody sent down":
        "{total} 个社区中有 {missing} 个没有下沉人员",
    "{type}: {gap} {unit} short of {required} (within reach {held})":
        "{type}：应储备 {required}，可及 {held}，缺口 {gap} {unit}",
}
