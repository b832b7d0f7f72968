"""Traditional-Chinese wording for input errors, shared by the batch output and the page."""

from __future__ import annotations

from classifier.errors import InputError

VERDICT_ZH = {"eligible": "符合", "conditional": "有條件（需補充說明）", "ineligible": "不符合"}
VERDICT_SHORT_ZH = {"eligible": "符合", "conditional": "有條件", "ineligible": "不符合"}

INPUT_ERRORS_ZH = {
    "empty_text": "描述是空白的，請輸入產品或服務的說明。",
    "symbols_only": "描述只有符號或數字，請用文字說明產品或服務做什麼。",
    "not_text": "描述必須是文字。",
    "empty_file": "檔案是空的，請上傳含標題列與資料列的 CSV 或 XLSX 檔。",
    "bad_encoding": "無法讀取此 CSV 的編碼（已試 UTF-8、UTF-8 BOM、Big5/CP950），請在 Excel 另存為「CSV UTF-8」後再上傳。",
    "binary_file": "這不是文字 CSV 檔，請上傳 CSV 或 XLSX 檔。",
    "bad_xlsx": "無法開啟此 Excel 檔，請確認是 .xlsx 格式且未損壞。",
    "bad_csv": "CSV 格式有誤，無法解析，請檢查引號與分隔符號。",
    "missing_column": "找不到名為「{column}」的欄位；檔案中的欄位有：{found}。請選擇正確的文字欄位。",
    "missing_reviewer": "請填寫審查人員姓名。",
    "bad_verdict": "資格判定必須是「符合」、「有條件」或「不符合」。",
    "missing_reason": "修改建議項目或判定（或退回）時，請填寫理由。",
    "unknown_code": "「{code}」不是分類表中的小項代碼。",
    "bad_action": "審查動作與修改內容不一致。",
    "missing_code": "請選擇最終項目。",
    "bad_type": "欄位格式有誤（代碼必須是文字）。",
    "too_large": "檔案過大（{size}）；網頁一次最多處理 {limit}，更大的檔案請用命令列 `python -m classifier batch`。",
}


def input_error_zh(error: InputError) -> str:
    template = INPUT_ERRORS_ZH.get(error.reason)
    if template is None:
        return f"輸入有誤：{error}"
    detail = {k: ("、".join(map(str, v)) if isinstance(v, list | tuple) else v) for k, v in error.detail.items()}
    try:
        return template.format(**detail)
    except KeyError:
        return template
