"""Chinese translations of the drills and assessment messages (communitas/drills/)."""

ZH = {
    "A drill copies a SQLite database file; use --demo for a fresh demo city instead":
        "演练只能复制 SQLite 数据库文件；如需全新的演示城市，请使用 --demo",
    "Committee share": "居委会承担比例",
    "Compared {count} variants over {seeds} seeds; wrote {file}":
        "已比较 {count} 个方案，每个 {seeds} 个随机种子；已写入 {file}",
    "Community": "社区",
    "Deprivation cost of vulnerable residents": "困难群体的剥夺成本",
    "Drill finished: {requests} requests, resilience loss {loss} %·h; wrote {json} and {html}":
        "演练结束：{requests} 个求助，韧性损失 {loss} %·小时；已写入 {json} 和 {html}",
    "Duration": "时长",
    "Endowment": "资源禀赋",
    "Functionality Q(t)": "功能曲线 Q(t)",
    "Headline figures": "主要指标",
    "Mode switch latency, median (min)": "模式切换延迟，中位数（分钟）",
    "Playing {name}": "正在演练：{name}",
    "Queues at service points": "服务点排队情况",
    "Rank": "排名",
    "The scenario names areas this city does not have: {codes}":
        "情景中包含本城市不存在的区域：{codes}",
    "Recovery time (h)": "恢复时间（小时）",
    "Requests not fulfilled by the end": "演练结束时仍未满足的求助",
    "Reserve shortfall": "储备缺口",
    "Resilience": "韧性",
    "Resilience assessment under {code}": "{code} 下辖社区韧性评估",
    "Resilience loss (%·h)": "韧性损失（%·小时）",
    "Risk": "风险",
    "Seed": "随机种子",
    "Seeds": "随机种子",
    "Share of work by actor kind": "各类主体承担的工作比例",
    "There is no database at {file} to copy": "{file} 处没有可复制的数据库",
    "Time to first response, median (min)": "首次响应时间，中位数（分钟）",
    "Time to fulfil, median (min)": "满足时间，中位数（分钟）",
    "Uncovered needs": "无储备覆盖的需求",
    "Unmet demand by resource type": "按物资类型的未满足需求",
    "Swept {count} drills; wrote {file}": "已并行完成 {count} 次演练；已写入 {file}",
    "Unstaffed roles": "无人承担的岗位",
    "Wrote {count} communities to {file}": "已将 {count} 个社区写入 {file}",
    "mean [95% confidence interval]": "均值 [95% 置信区间]",
    "{file}: valid scenario, {hours} hours": "{file}：情景有效，时长 {hours} 小时",
}
