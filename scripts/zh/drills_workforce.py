"""Chinese translations of the drill workforce: report labels and the batch task service."""

ZH = {
    "Activation to first alert, median (min)": "预案启动至首条预警发布用时中位数（分钟）",
    "Completed": "已完成",
    "Tasks by actor kind": "各类主体的任务",
    "Tasks completed": "完成的任务",
    "Tasks issued": "下发的任务",
    "Tasks nobody took": "无人承接的任务",
    "Time to task completion, median (min)": "任务完成用时中位数（分钟）",
    "This action cannot be applied to many tasks at once": "此操作不能一次用于多项任务",
    "Units delivered": "送达的物资数量",
}
