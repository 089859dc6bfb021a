"""Chinese for dispatch messages added after scripts/zh_translations.py."""

ZH = {
    "Please submit again": "请重新提交",
}
