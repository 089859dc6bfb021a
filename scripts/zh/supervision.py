"""Chinese translations for the supervision of sent-down cadres and party members."""

ZH = {
    "Cadres are sent down to a community": "下沉干部只能派驻到社区",
    "Community": "社区",
    "Inaction": "不作为提示",
    "Median response (min)": "响应时间中位数（分钟）",
    "Mode": "状态",
    "On time": "按时完成",
    "Only cadres and party members are sent down": "只有干部和党员可以下沉社区",
    "Person": "人员",
    "Rating": "居民评价",
    "Requests closed": "已办结求助",
    "Supervision of street {code}": "街道 {code} 下沉人员督导",
    "Tasks done": "完成任务",
    "The assignment already ends by then": "该派驻在此日期之前已结束",
    "The period ends before it starts": "结束日期早于开始日期",
    "The supervisor view is per street": "督导视图按街道查看",
    "This person is already assigned for part of that period": "此人在该期间内已有派驻安排",
    "Unknown assignment {value}": "未知派驻记录 {value}",
    "idle {hours} h": "已 {hours} 小时无行动",
    "nobody sent down": "无下沉人员",
    "{count} flagged for inaction (no action for {hours} h in an emergency)":
        "{count} 人被提示不作为（应急状态下 {hours} 小时无行动）",
}
