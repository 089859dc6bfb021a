"""Chinese translations, kept as data so `make catalogues` can fill new entries by hand."""

ZH = {
    "API documentation: {url}": "接口文档：{url}",
    "Admin account: {user} / {password}": "管理员账号：{user} / {password}",
    "Areas": "区域",
    "Building the demo city (seed {seed})…": "正在生成演示城市（随机种子 {seed}）…",
    "Capacity offers": "运力供给",
    "Communitas is running at {url}": "Communitas 已启动：{url}",
    "Conflicts with existing data": "与已有数据冲突",
    "Created user {user}": "已创建用户 {user}",
    "Database is up to date at {url}": "数据库已是最新：{url}",
    "Database ready at {url}": "数据库已就绪：{url}",
    "Demo city built": "演示城市已生成",
    "Demo logins (password: {password})": "演示账号（密码：{password}）",
    "Duplicate code {value}": "编码 {value} 重复",
    "Event chain broken at event {seq} ({reason}); {count} events before it verified":
        "事件链在第 {seq} 条断裂（{reason}）；此前 {count} 条已验证",
    "Event chain intact: {count} events verified": "事件链完整：已验证 {count} 条事件",
    "Exported {count} rows to {file}": "已导出 {count} 行到 {file}",
    "Geometry must be a GeoJSON Point or Polygon": "几何图形必须是 GeoJSON 点或多边形",
    "Imported {count} rows from {file}": "已从 {file} 导入 {count} 行",
    "Internal error": "内部错误",
    "Invalid division code {value}": "区划代码 {value} 无效",
    "Line {line} of {file} has more values than the header": "{file} 第 {line} 行的值多于表头",
    "Method not allowed": "不允许的请求方法",
    "Not enough stock: {available} held, {requested} requested":
        "库存不足：现有 {available}，需要 {requested}",
    "Not found": "未找到",
    "Organisations": "组织",
    "People": "人员",
    "Request failed": "请求失败",
    "Role": "角色",
    "Scope": "范围",
    "Sign-in required": "请先登录",
    "Statistic": "统计项",
    "Stock": "库存",
    "A phone number may hold only digits, + and -": "电话号码只能包含数字、+ 和 -",
    "A resident account must name its person record": "居民账号必须关联其人员档案",
    "A {kind} cannot be placed on a {area_kind}; use one of: {allowed}":
        "{kind} 不能登记在 {area_kind} 上；可选：{allowed}",
    "A {kind} cannot be placed under a {parent_kind}": "{kind} 不能归属于 {parent_kind}",
    "A {kind} has no sector": "{kind} 没有行业类别",
    "A {kind} needs a sector, one of: {allowed}": "{kind} 需要行业类别，可选：{allowed}",
    "An adjustment must change the quantity": "调整必须改变数量",
    "An identity number has 18 characters: 17 digits, then a digit or X":
        "身份证号为 18 位：17 位数字加一位数字或 X",
    "Only a market organisation can offer capacity; {value} is not one":
        "只有市场组织才能提供运力；{value} 不是市场组织",
    "Only a platform admin can create a platform admin": "只有平台管理员才能创建平台管理员",
    "Only a platform admin or a district commander can change the catalogue":
        "只有平台管理员或区指挥长才能修改物资目录",
    "Quantity cannot be negative (got {value})": "数量不能为负（收到 {value}）",
    "Quantity cannot exceed {value}": "数量不能超过 {value}",
    "The database is busy; try again": "数据库繁忙，请重试",
    "The demo city needs an empty database": "生成演示城市需要一个空数据库",
    "The file was rejected; nothing was imported": "文件被拒绝，未导入任何数据",
    "The input is not valid": "输入无效",
    "The request body is not valid JSON": "请求体不是有效的 JSON",
    "This is outside your area or organisation": "超出您所辖的区域或组织范围",
    "This role needs an area scope": "该角色需要指定辖区",
    "This role needs an organisation scope": "该角色需要指定所属组织",
    "Unknown area {value}": "未知区域 {value}",
    "Unknown capacity offer {value}": "未知运力供给 {value}",
    "Unknown data kind {value}": "未知数据类型 {value}",
    "Unknown holding {value}": "未知库存记录 {value}",
    "Unknown organisation {value}": "未知组织 {value}",
    "Unknown person {value}": "未知人员 {value}",
    "Unknown resource category {value}": "未知物资类别 {value}",
    "Unknown resource type {value}": "未知物资类型 {value}",
    "Unknown user {value}": "未知用户 {value}",
    "Unsupported file type {value}; use .csv or .geojson":
        "不支持的文件类型 {value}；请使用 .csv 或 .geojson",
    "Username": "用户名",
    "Username {value} is taken": "用户名 {value} 已被占用",
    "Value": "数值",
    "Wrong username or password": "用户名或密码错误",
    "You are not allowed to do this": "您无权执行此操作",
    "Your sign-in has expired or is not valid": "登录已过期或无效",
    "{file} is not a readable UTF-8 CSV file": "{file} 不是可读的 UTF-8 CSV 文件",
    "{file} is not valid GeoJSON": "{file} 不是有效的 GeoJSON",
    "{file}: {count} errors; nothing was imported": "{file}：{count} 处错误；未导入任何数据",
    "Platform admin": "平台管理员",
    "District commander": "区指挥长",
    "Street commander": "街道指挥长",
    "Street dispatcher": "街道调度员",
    "Neighbourhood committee member": "居委会成员",
    "Grid worker": "网格员",
    "Volunteer": "志愿者",
    "Organisation liaison": "组织联络员",
    "Resident": "居民",
    "Auditor": "审计员",
    # alerts: CAP 1.2 codec, rules and command line
    "<ceiling> may only be used with <altitude>": "<ceiling> 只能与 <altitude> 一起使用",
    "A circle must be 'lat,lon radius' with the radius in kilometres; {value} is not":
        "圆形区域应写作“纬度,经度 半径”（半径以千米计）；{value} 不符合",
    "A polygon must be closed: its first and last points must be equal":
        "多边形必须闭合：首点与末点必须相同",
    "A polygon needs at least 4 coordinate pairs; this one has {count}":
        "多边形至少需要 4 个坐标对；此多边形只有 {count} 个",
    "An Alert message should carry at least one <info> block":
        "Alert 类消息应至少包含一个 <info> 信息块",
    "CAP 1.2 file is valid: {file} ({msg_type}, {status}, {count} info blocks)":
        "CAP 1.2 文件有效：{file}（{msg_type}，{status}，{count} 个信息块）",
    "Ceiling must not be below altitude": "上限高度不得低于下限高度",
    "Code": "代码",
    "Communities covered by {identifier}: {count}": "预警 {identifier} 覆盖的社区：{count} 个",
    "Date and time {value} must look like 2024-07-20T08:00:00+08:00: seconds and a +hh:mm or "
    "-hh:mm offset, no Z":
        "日期时间 {value} 应形如 2024-07-20T08:00:00+08:00：包含秒和 +hh:mm 或 -hh:mm 时差，"
        "不得使用 Z",
    "Expires must be later than {field} ({value})": "失效时间必须晚于 {field}（{value}）",
    "Identifier {value} is not in the GB/T 35965.1 format ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N":
        "标识 {value} 不符合 GB/T 35965.1 格式 ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N",
    "Latitude {value} is outside -90..90": "纬度 {value} 超出 -90..90 范围",
    "Longitude {value} is outside -180..180": "经度 {value} 超出 -180..180 范围",
    "Must not contain spaces, commas, < or &": "不得包含空格、逗号、< 或 &",
    "Name (Chinese)": "中文名称",
    "Name (English)": "英文名称",
    "Not valid against the CAP 1.2 schema: {reason}": "不符合 CAP 1.2 XML 架构：{reason}",
    "Not well-formed XML: {reason}": "不是格式正确的 XML：{reason}",
    "Radius {value} must be a non-negative number of kilometres":
        "半径 {value} 必须是非负的千米数",
    "References must be space-separated sender,identifier,sent triples; {value} is not":
        "引用必须是以空格分隔的“发送者,标识,发送时间”三元组；{value} 不符合",
    "Scope Private requires <addresses>": "范围为 Private 时必须提供 <addresses>",
    "Scope Restricted requires <restriction>": "范围为 Restricted 时必须提供 <restriction>",
    "The CAP message is not valid; problems found: {count}": "CAP 消息无效，发现问题 {count} 处",
    "The XML was refused as unsafe: {reason}": "XML 存在安全风险，已拒绝：{reason}",
    "The alert covers no community in this database": "该预警未覆盖本数据库中的任何社区",
    "UTC should be written -00:00, not +00:00": "协调世界时应写作 -00:00，而非 +00:00",
    "warning": "警告",
    "{msg_type} messages must list the messages they refer to in <references>":
        "{msg_type} 类消息必须在 <references> 中列出其引用的消息",
    "{value} is not a lat,lon coordinate pair": "{value} 不是“纬度,经度”坐标对",
    # modes/ (modes, triggers, response plans)
    "A {kind} has no mode of its own": "{kind} 类区域没有自己的运行模式",
    "An area in {current} cannot switch to {mode}": "处于 {current} 的区域不能切换到 {mode}",
    "Emergency level I (red)": "Ⅰ级应急响应（红色）",
    "Emergency level II (orange)": "Ⅱ级应急响应（橙色）",
    "Emergency level III (yellow)": "Ⅲ级应急响应（黄色）",
    "Emergency level IV (blue)": "Ⅳ级应急响应（蓝色）",
    "Exported {count} plan files to {file}": "已导出 {count} 个预案文件到 {file}",
    "Field": "字段",
    "Hazard": "灾种",
    "Imported {count} plans from {file}; {unchanged} unchanged":
        "已从 {file} 导入 {count} 个预案；{unchanged} 个未变",
    "No response plan for {value}": "没有 {value} 的应急预案",
    "Normal": "常态",
    "Own setting": "本级设定",
    "Reason": "原因",
    "Recovery": "恢复",
    "Recovery cannot end yet: {unmet}": "恢复期尚不能结束：{unmet}",
    "Set at": "设定时间",
    "Set by": "设定人",
    "Set on": "设定区域",
    "The area is already set to {mode}": "该区域已设定为 {mode}",
    "This proposal was already {status}": "该建议已处理（{status}）",
    "Unknown proposal {value}": "未知切换建议 {value}",
    "Unknown warning {value}": "未知预警 {value}",
    "Watch": "预警关注",
    "Your role may not set {mode} here": "您的角色无权在此设定 {mode}",
    "{area}: {before} → {after} (effective {effective})":
        "{area}：{before} → {after}（生效模式 {effective}）",
    "{file}: {count} plans are valid": "{file}：{count} 个预案有效",
    "{mode} is below the mode of the area above ({parent})":
        "{mode} 低于上级区域的模式（{parent}）",
    # allocation engine (dispatch/problem.py, replanning.py, cli allocate)
    "Committed shipments exceed this capacity": "已承诺的发运超出此运力上限",
    "Committed shipments exceed this need": "已承诺的发运超出此需求",
    "Committed shipments exceed this stock": "已承诺的发运超出此库存",
    "Duplicate id": "编号重复",
    "Duplicate link": "连接重复",
    "Duplicate resource type": "物资类型重复",
    "Latitude must be a number from -90 to 90": "纬度必须是 -90 到 90 之间的数",
    "Longitude must be a number from -180 to 180": "经度必须是 -180 到 180 之间的数",
    "Mean travel minutes": "平均运输分钟数",
    "Must be a list": "必须是列表",
    "Must be a non-empty string": "必须是非空字符串",
    "Must be a number of minutes from 0 to 100,000": "必须是 0 到 100,000 之间的分钟数",
    "Must be a whole number from 1 to 1,000": "必须是 1 到 1,000 之间的整数",
    "Must be a whole number of units from 0 to 1,000,000,000":
        "必须是 0 到 1,000,000,000 之间的整数单位",
    "Must be an object": "必须是对象",
    "Must be positive": "必须为正数",
    "Not a link of this problem": "不是本问题中的可达连接",
    "Plan written to {file}": "调配方案已写入 {file}",
    "Priority must be 1, 2, 3 or 4": "优先级必须是 1、2、3 或 4",
    "Required field is missing": "缺少必填字段",
    "Shipments": "发运条数",
    "Speed must be a positive number of km/h up to 1,000":
        "速度必须是不超过 1,000 的正数（千米/小时）",
    "Status": "状态",
    "The commitments do not fit the problem; nothing was re-planned":
        "已承诺的发运与问题不符；未重新规划",
    "The problem has {count} errors; nothing was solved": "问题文件有 {count} 处错误；未求解",
    "Unknown demand id": "未知的需求点编号",
    "Unknown method {value}; use optimal or greedy": "未知方法 {value}；请用 optimal 或 greedy",
    "Unknown resource type": "未知的物资类型",
    "Unknown supply id": "未知的供给点编号",
    "Unmet units by priority (1/2/3/4)": "各优先级未满足数量（1/2/3/4）",
    "Weighted unmet demand": "加权未满足需求",
    "Worst fill ratio by priority (1/2/3/4)": "各优先级最低满足率（1/2/3/4）",
    "{file} cannot be read as UTF-8 text": "{file} 无法按 UTF-8 文本读取",
    "{file} is not valid JSON: line {line}, column {column}":
        "{file} 不是有效的 JSON：第 {line} 行第 {column} 列",
    # Requests (dispatch): intake, triage, fulfilment.
    "A building's order must be placed on the building": "楼栋订单必须登记在该楼栋上",
    "A commitment to this line must be at least {value}": "对该行的承诺数量至少为 {value}",
    "An organisation's request must name the organisation": "组织的请求必须注明该组织",
    "Holding holds {value}, not {expected} or an allowed substitute":
        "该库存为 {value}，不是 {expected} 或允许的替代品",
    "Holding {value} is damaged or expired": "库存 {value} 已损坏或过期",
    "Line {value} is not part of this request": "第 {value} 行不属于该请求",
    "Only the requester can do this": "只有请求人可以执行此操作",
    "Only {available} units can take this step; {requested} requested":
        "此步骤只能处理 {available} 个单位；请求 {requested} 个",
    "Only {available} units of this line are still open; {requested} requested":
        "该行仅剩 {available} 个单位待承诺；请求 {requested} 个",
    "Quantity {value} is below what is already committed ({committed})":
        "数量 {value} 低于已承诺的数量（{committed}）",
    "Requests are placed on a community, grid or building, not a {kind}":
        "请求须登记在社区、网格或楼栋上，不能登记在 {kind} 上",
    "Sign in to submit a request for a community or an organisation":
        "以社区或组织名义提交请求须先登录",
    "This Idempotency-Key was used for a different request": "该幂等键已用于另一个请求",
    "This request is already with outside support": "该请求已移交外部支援",
    "This request is {status}; it cannot take the action {action}":
        "该请求当前状态为 {status}，不能执行操作 {action}",
    "Too many submissions; try again later": "提交过于频繁，请稍后再试",
    "Unknown request {value}": "未知请求 {value}",
    "Unknown shipment {value}": "未知发运 {value}",
    "{value} cannot be asked for in a line of kind {kind}": "{value} 不能在 {kind} 类型的行中申请",
    "{value} cannot substitute for {expected}": "{value} 不能替代 {expected}",
    "{value} is asked for twice; use one line": "{value} 重复申请；请合并为一行",
    "{value} is counted in {expected}, not {unit}": "{value} 以 {expected} 计量，而不是 {unit}",
    "Worker running the timers every {seconds} s": "定时任务进程运行中，每 {seconds} 秒检查一次",
    "Nothing can be suggested for this request now": "目前无法为该请求给出建议方案",
    "Stock or the request changed since the plan was made; ask for a new suggestion":
        "方案生成后库存或请求已发生变化；请重新获取建议方案",
}


def _merge_domain_files() -> None:
    """Each domain may keep its translations in scripts/zh/<domain>.py (a dict named ZH)."""
    import importlib.util
    from pathlib import Path

    for path in sorted((Path(__file__).parent / "zh").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"zh_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ZH.update(module.ZH)


_merge_domain_files()
