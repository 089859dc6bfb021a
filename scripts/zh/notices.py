"""Chinese translations for notices, CAP import and the delivery outbox (alerts/)."""

ZH = {
    "Unknown notice {value}": "未知的通知 {value}",
    "Too many notices in one second; try again": "同一秒内通知过多，请稍后重试",
    "The notice would expire before it is sent": "通知在发布前就会过期",
    "The notice covers no area in your scope": "通知未覆盖您管辖范围内的任何区域",
    "The notice is {state}; this step needs it {expected}":
        "通知当前状态为 {state}；此操作要求状态为 {expected}",
    "A public notice must be approved by a second person, not its author":
        "公开通知须由起草人以外的第二人审核批准",
    "Only the sender of a notice may update or cancel it": "只有通知的发布方可以更新或撤销它",
    "Only a resident account linked to a person has a feed": "只有关联到居民的账号才有消息栏",
    "Unknown subscription {value}": "未知的订阅 {value}",
    "Imported {identifier} as notice {id} ({msg_type}, {status}); areas covered: {count}":
        "已导入 {identifier}，通知编号 {id}（{msg_type}，{status}）；覆盖区域 {count} 个",
    "Already imported: {identifier} is notice {id}; nothing changed":
        "已导入过：{identifier} 即通知 {id}；未作任何更改",
    "Delivered {delivered}, to retry {retried}, dead letters {dead}":
        "已送达 {delivered}，待重试 {retried}，死信 {dead}",
    "Dead letters: {count}": "死信：{count} 条",
    "Delivery": "投递",
    "Notice": "通知",
    "Channel": "渠道",
    "Recipient": "接收方",
    "Attempts": "尝试次数",
    "Reason": "原因",
    "No dead letter {value}": "没有编号为 {value} 的死信",
    "Only a public alert can be passed on to residents": "只有公开预警才能转发给居民",
    "A notice must not contain phone or identity numbers": "通知中不得包含手机号码或身份证号码",
}
