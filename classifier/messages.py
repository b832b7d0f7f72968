"""Every user-facing sentence, in Traditional Chinese (zh-TW) and English, keyed by code.

The command line, batch and re-classification files, the page and the HTML summary all read
their wording from here, so a sentence is written once and the two languages stay side by side.
"""

from __future__ import annotations

from classifier.errors import InputError

LANGS = ("zh", "en")

CATALOGUE: dict[str, tuple[str, str]] = {
    "app_title": ("AI 技術服務能量登錄｜分類助手", "AI Service Registry | Classification Assistant"),
    "app_caption": ("輸入產品或服務說明，建議最適合的登錄小項，並附上依據與問答集規定。",
                    "Describe a product or service to get the best-fitting registry sub-item, with reasons and the FAQ rulings."),
    "lang": ("語言 Language", "Language 語言"),
    "nav": ("功能", "Pages"),
    "page_suggest": ("分類建議", "Suggest an item"),
    "page_browse": ("分類表與問答", "Taxonomy & FAQ"),
    "page_batch": ("批次分類", "Batch"),
    "loading": ("載入模型中，第一次約需十幾秒…", "Loading the model (about 15 s the first time)…"),
    "load_failed": ("無法載入分類模型：{error}", "Could not load the classifier: {error}"),
    "desc_label": ("產品或服務說明", "Product or service description"),
    "desc_placeholder": ("例：我們的產品是基於人臉辨識的員工打卡系統，已導入多家企業。",
                         "e.g. Our face-recognition time clock is used by 300 companies."),
    "examples": ("或試試範例", "Or try an example"),
    "examples_none": ("（選擇範例）", "(choose an example)"),
    "submit": ("分類", "Classify"),
    "enter_text": ("請輸入產品或服務說明後按「分類」。", "Type a description and press Classify."),
    "best": ("建議項目", "Suggested item"),
    "confidence": ("信心", "Confidence"),
    "answered_by_first_pass": ("由快速初篩回答（把握高的案件不需完整模型）",
                               "Answered by the fast first pass (sure enough without the full model)"),
    "answered_by_full_model": ("由完整語意模型回答", "Answered by the full embedding model"),
    "verdict": ("資格判定", "Verdict"),
    "verdict_eligible": ("符合", "Eligible"),
    "verdict_conditional": ("有條件", "Conditional"),
    "verdict_ineligible": ("不符合", "Ineligible"),
    "needs_review": ("建議人工複核：{reasons}", "Worth a human review: {reasons}"),
    "review_low_confidence": ("信心偏低", "low confidence"),
    "review_close_runner_up": ("前兩名分數接近", "close runner-up"),
    "review_conditional_verdict": ("資格有條件", "conditional verdict"),
    "review_redirected_by_rule": ("依問答集規定改判項目", "moved by an FAQ ruling"),
    "review_ruling_uncertain": ("可能涉及問答集規定", "an FAQ ruling may apply"),
    "review_ineligible_verdict": ("判定不符合", "judged ineligible"),
    "review_full_model_pending": ("快速模式：尚待完整模型確認", "quick mode: not yet checked by the full model"),
    "review_why_full_model_pending": ("快速模式只用快速初篩；這一列把握不夠，一般模式會交給完整語意模型。請以一般模式重跑，或由人員確認。",
                                      "Quick mode answers with the fast first pass only; this row is not sure enough, and the normal mode would ask the full model. Re-run it in the normal mode, or have a person check it."),
    "review_why_ineligible_verdict": ("依問答集規定判定為不符合；在正式回覆申請者之前，請由人員確認。",
                                      "An FAQ ruling makes this ineligible; a person should confirm before the applicant is told."),
    "review_why_low_confidence": ("系統對建議項目把握不高，相近項目也說得通；請確認說明中的主要服務。",
                                  "The assistant is not sure of the item; neighbouring items also fit. Check which service is the main one."),
    "review_why_close_runner_up": ("第一與第二建議幾乎一樣接近，兩項都可能是正確答案。",
                                   "The first and second suggestions are almost equally close; either could be right."),
    "review_why_conditional_verdict": ("是否符合資格取決於說明中沒寫到的事（見下方問答集依據與待確認問題）。",
                                       "Eligibility depends on something the description does not say (see the rulings and questions below)."),
    "review_why_redirected_by_rule": ("問答集規定這類服務應改申請另一項，建議項目已依規定調整。",
                                      "An FAQ ruling says this kind of service belongs to another item; the suggestion follows it."),
    "review_why_ruling_uncertain": ("說明讀起來可能涉及某項問答集規定（例如自用、未使用人工智慧方法、僅有海外實績），但不夠明確；請確認。",
                                    "The text may fall under an FAQ ruling (in-house use, no AI method, overseas-only record…), but not clearly; please check."),
    "rule_trigger": ("觸發的句子：", "Triggered by: "),
    "precedent_verdict": ("此範例判定：{verdict}", "this precedent was: {verdict}"),
    "truncated": ("說明過長，已截取前 {n} 字分類。", "The description was long; the first {n} characters were used."),
    "rules_title": ("適用的問答集規定", "FAQ rulings that apply"),
    "no_rules": ("沒有觸發任何問答集規定。", "No FAQ ruling applies."),
    "reasons": ("依據", "Reasons"),
    "matched": ("說明中的關鍵詞", "Matched terms in your text"),
    "no_matched": ("沒有直接相符的關鍵詞，建議主要來自語意相似度。", "No literal term matches; the suggestion comes from meaning."),
    "definition": ("項目定義", "Definition"),
    "precedents": ("最相似的先例", "Nearest precedents"),
    "source_faq": ("問答集 FAQ {ref}", "FAQ {ref}"),
    "source_example": ("範例 {ref}", "Example {ref}"),
    "source_real": ("實例 {ref}", "Real-world case {ref}"),
    "source_ruling": ("規定範例 {ref}", "Ruling example {ref}"),
    "source_decision": ("已審核決定 {ref}", "Reviewed decision {ref}"),
    "ruling_answer": ("答：{answer}", "Answer: {answer}"),
    "similarity": ("相似度 {value:.2f}", "similarity {value:.2f}"),
    "alternatives": ("前五名候選", "Top 5 candidates"),
    "followup": ("待確認問題", "Questions that would settle it"),
    "why_not": ("為什麼不是…？", "Why not…?"),
    "why_not_pick": ("選擇另一個項目比較", "Pick another item to compare"),
    "why_not_rank": ("第 {rank} 名／87，分數 {score:.3f}（與第一名差 {gap:.3f}），信心 {conf:.2f}",
                     "Rank {rank} of 87, score {score:.3f} ({gap:.3f} behind the top), confidence {conf:.2f}"),
    "why_not_missing": ("說明中缺少的 {code} 關鍵詞", "Terms of {code} your text lacks"),
    "why_not_rules": ("若申請 {code}，會適用的規定", "Rulings that would apply to {code}"),
    "summary": ("申請書摘要（可複製）", "Summary for the application form (copy)"),
    "browse_search": ("搜尋項目、定義或關鍵詞", "Search items, definitions or keywords"),
    "category": ("大項", "Category"),
    "browse_all": ("全部", "All"),
    "browse_items_tab": ("分類表（4／23／87）", "Taxonomy (4 / 23 / 87)"),
    "browse_faq_tab": ("問答集（23 則）", "FAQ (23 rulings)"),
    "browse_keywords": ("關鍵詞", "Keywords"),
    "browse_aliases": ("其他寫法", "Other spellings"),
    "browse_related": ("相關問答", "Related rulings"),
    "browse_no_match": ("沒有符合的項目。", "No item matches."),
    "browse_items_of_ruling": ("相關項目", "Items"),
    "browse_rule_ids": ("規則代碼", "Rule ids"),
    "count_items": ("共 {n} 個小項", "{n} sub-items"),
    "batch_upload": ("上傳 CSV 或 XLSX（UTF-8、UTF-8 BOM 或 Big5）", "Upload CSV or XLSX (UTF-8, UTF-8 BOM or Big5)"),
    "batch_intro": ("每列一筆說明；結果保留所有原欄位，不會遺漏或改變列的順序。",
                    "One description per row; results keep every column, every row, in order."),
    "batch_text_col": ("說明文字欄位", "Text column"),
    "batch_id_col": ("編號欄位（選填）", "Id column (optional)"),
    "none": ("（無）", "(none)"),
    "batch_run": ("開始分類", "Classify all rows"),
    "batch_quick": ("快速模式（只用快速初篩）", "Quick mode (fast first pass only)"),
    "batch_quick_help": ("適合大量資料的初步分流：每列都由快速初篩回答，速度快上數十倍；把握不夠的列會標記「尚待完整模型確認」並列入複核，不會直接放行。",
                         "For a first triage of many rows: the fast first pass answers every row, tens of times faster; rows it is not sure of are flagged \"not yet checked by the full model\" for review, never passed as they are."),
    "batch_rows": ("{n} 列，{c} 個欄位", "{n} rows, {c} columns"),
    "batch_progress": ("分類中… {done}/{total}", "Classifying… {done}/{total}"),
    "batch_done": ("完成：{n} 列，其中 {errors} 列無法分類、{review} 列建議複核。",
                   "Done: {n} rows, {errors} could not be classified, {review} worth a review."),
    "batch_filter_review": ("只看建議複核", "Only rows worth a review"),
    "batch_chart": ("各大項筆數", "Rows per category"),
    "batch_download_csv": ("下載 CSV", "Download CSV"),
    "batch_download_xlsx": ("下載 Excel", "Download Excel"),
    "batch_too_many": ("此檔有 {n} 列，網頁一次最多 {limit} 列；更大的檔案請用命令列 `python -m classifier batch`。",
                       "{n} rows; the page takes up to {limit}. Use `python -m classifier batch` for larger files."),
    "error_label": ("無法分類", "Not classified"),
    "item": ("項目", "Item"),
    "services": ("此說明可能還包含其他服務", "This description may cover further services"),
    "page_queue": ("審查佇列", "Review queue"),
    "queue_intro": ("上傳登錄資料（申請者、說明、登錄代碼），系統重新分類後依需審查程度排序：信心低、前兩名接近、有條件判定、與登錄代碼不一致者優先。",
                    "Upload the registry (applicant, description, registered code). Rows are re-classified and ordered by review need: low confidence, close runner-up, conditional verdicts and disagreement with the registered code first."),
    "queue_upload": ("上傳登錄資料 CSV 或 XLSX", "Upload the registry (CSV or XLSX)"),
    "queue_code_col": ("登錄代碼欄位", "Registered code column"),
    "queue_applicant_col": ("申請者欄位（選填）", "Applicant column (optional)"),
    "queue_run": ("重新分類", "Re-classify"),
    "queue_progress": ("已審查 {done}／{total} 筆", "Reviewed {done} of {total}"),
    "queue_all_done": ("全部案件都已審查完成。", "Every case has been reviewed."),
    "queue_case": ("案件 {pos}／{total}（優先度 {priority:.2f}）", "Case {pos} of {total} (priority {priority:.2f})"),
    "queue_agreement": ("一致性", "Agreement"),
    "agreement_same_item": ("同一小項", "same item"),
    "agreement_same_subcategory": ("同分項不同小項", "same subcategory"),
    "agreement_different": ("不同分項", "different"),
    "agreement_no_registered_code": ("未登錄代碼", "no registered code"),
    "queue_final_code": ("最終項目", "Final item"),
    "queue_final_verdict": ("最終資格判定", "Final verdict"),
    "queue_reason": ("理由（修改建議時必填）", "Reason (required when overriding)"),
    "queue_accept": ("接受建議", "Accept suggestion"),
    "queue_save": ("儲存修改", "Save change"),
    "queue_skip": ("略過", "Skip"),
    "queue_saved": ("已記錄：{code}（{verdict}）", "Recorded: {code} ({verdict})"),
    "queue_reason_needed": ("修改建議項目或判定時，請填寫理由。", "A reason is required when you override the suggestion."),
    "queue_audit": ("下載審查紀錄（CSV）", "Download the audit trail (CSV)"),
    "queue_summary": ("重新分類摘要", "Re-classification summary"),
    "queue_summary_html": ("下載摘要（HTML）", "Download the summary (HTML)"),
    "queue_results_csv": ("下載重新分類結果（CSV）", "Download the results (CSV)"),
    "queue_matrix": ("分項對照（列：登錄，欄：建議）", "Subcategories (rows: registered, columns: suggested)"),
    "auth_staff": ("審查人員登入", "Staff sign-in"),
    "auth_username": ("帳號", "Username"),
    "auth_password": ("密碼", "Password"),
    "auth_sign_in": ("登入", "Sign in"),
    "auth_sign_out": ("登出", "Sign out"),
    "auth_signed_in": ("已登入：{username}（{role}）", "Signed in: {username} ({role})"),
    "auth_staff_only": ("此頁僅供已登入的審查人員使用；請在左側登入。", "This page is for signed-in staff; sign in on the left."),
    "auth_admin_only": ("此功能僅限管理者。", "Only an admin can do this."),
    "role_reviewer": ("審查人員", "reviewer"),
    "role_admin": ("管理者", "admin"),
    "queue_rebuild": ("以已核准的決定重建索引", "Rebuild the index with the approved decisions"),
    "queue_rebuilding": ("重建中，約需數分鐘…", "Rebuilding; this takes a few minutes…"),
    "queue_rebuilt": ("索引已重建：{n} 筆已核准的決定已納入。", "Index rebuilt with {n} approved decisions."),
    "rows": ("筆數", "Rows"),
    "choose": ("選擇…", "Choose…"),
    # ---- verdicts, review reasons, sources (every surface)
    "review_registered_differs": ("與登錄項目不同分項", "differs from the registered item"),
    "review_registered_ruling": ("登錄項目涉及問答集規定", "an FAQ ruling applies to the registered item"),
    "review_why_registered_differs": ("建議項目與登錄代碼屬於不同分項；請確認登錄是否正確。",
                                      "The suggestion and the registered code are in different subcategories; check the registration."),
    "review_why_registered_ruling": ("依說明內容，登錄的項目適用某項問答集規定（例如代理經銷不得申請核心技術項目）；請確認。",
                                     "By the description, an FAQ ruling applies to the registered item (e.g. a reseller cannot claim a core-technology item); please check."),
    "source_name_example": ("範例", "example"),
    "source_name_real": ("實例", "real-world case"),
    "source_name_ruling": ("規定範例", "ruling example"),
    "source_name_decision": ("已審核決定", "reviewed decision"),
    # ---- readable reasons in batch and re-classification files
    "reason_like": ("與{source}「{text}」相近（相似度 {similarity:.2f}）", "Close to the {source} “{text}” (similarity {similarity:.2f})"),
    "reason_like_flagged": ("與{source}「{text}」相近（相似度 {similarity:.2f}），但該案例判定為「{verdict}」",
                            "Close to the {source} “{text}” (similarity {similarity:.2f}), which was judged {verdict}"),
    "reason_like_faq": ("與問答集第 {ref} 則相近：「{text}」", "Close to FAQ {ref}: “{text}”"),
    "reason_like_definition": ("與項目定義相近（相似度 {similarity:.2f}）", "Close to the item's definition (similarity {similarity:.2f})"),
    "reason_terms": ("說明中提到：{terms}", "The text mentions: {terms}"),
    "reason_ruling": ("問答集第 {faq} 則：{message}", "FAQ {faq}: {message}"),
    "reason_registered_ruling": ("若維持登錄項目 {code}，適用問答集第 {faq} 則：{message}",
                                 "If it stays under the registered item {code}, FAQ {faq} applies: {message}"),
    "duplicate_id": ("此編號在檔案中重複出現", "This id appears more than once in the file"),
    # ---- command line
    "cli_best": ("建議項目：{code} {name}（信心 {confidence:.2f}）", "Suggested item: {code} {name} (confidence {confidence:.2f})"),
    "cli_path": ("路徑：{path}", "Path: {path}"),
    "cli_verdict": ("資格判定：{verdict}", "Verdict: {verdict}"),
    "cli_needs_review": ("需人工複核：{reasons}", "Needs review: {reasons}"),
    "cli_definition": ("定義：{definition}", "Definition: {definition}"),
    "cli_matched": ("說明中的關鍵詞：{terms}", "Matched terms: {terms}"),
    "cli_truncated": ("（說明過長，已截取前 {n} 字分類）", "(the description was long; the first {n} characters were used)"),
    "cli_column_used": ("使用欄位：說明文字「{text}」{code}", "Columns used: text “{text}”{code}"),
    "cli_code_column_used": ("、登錄代碼「{column}」", ", registered code “{column}”"),
    "cli_rows_written": ("已寫出 {n} 列：{path}", "{n} rows written to {path}"),
    "cli_agreement": ("一致性：{counts}", "Agreement: {counts}"),
    "cli_summary_written": ("摘要：{path}", "Summary: {path}"),
    "cli_error": ("錯誤：{message}", "error: {message}"),
    "cli_interrupted": ("已中斷。批次分類已完成的部分會保留，再執行同一指令即可接續。",
                        "Interrupted. A batch keeps the rows it finished; run the same command again to resume."),
    "error_no_text": ("請提供說明文字：python -m classifier classify 我們的產品是…，或用 - 從標準輸入讀取。",
                    "Give a description: python -m classifier classify \"Our product…\", or - to read standard input."),
    "users_active": ("啟用", "active"),
    "users_disabled": ("停用", "disabled"),
    "users_password_prompt": ("密碼（至少 10 字元）：", "Password (at least 10 characters): "),
    "users_password_again": ("再輸入一次密碼：", "Password again: "),
    "users_added": ("已新增帳號 {username}（{role}）", "Account {username} added ({role})"),
    "users_changed": ("帳號 {username} 已{state}", "Account {username} is now {state}"),
    # ---- application-form summary
    "form_item": ("建議申請項目：{code} {name}", "Suggested item: {code} {name}"),
    "form_confidence": ("信心：{confidence:.2f}；資格判定：{verdict}", "Confidence: {confidence:.2f}; verdict: {verdict}"),
    "form_alternatives": ("備選項目：{items}", "Alternatives: {items}"),
    "form_basis": ("依據：{basis}", "Basis: {basis}"),
    "form_rulings": ("適用的問答集規定：", "Rulings that apply:"),
    "form_must_show": ("實績須呈現：", "The track record must show:"),
    "form_to_clarify": ("待補充說明：", "Still to clarify:"),
    # ---- taxonomy & FAQ page
    "ruling_question": ("問：{question}", "Q: {question}"),
    # ---- re-classification summary (HTML)
    "summary_title": ("登錄資料重新分類摘要：{name}", "Registry re-classification summary: {name}"),
    "summary_meta": ("共 {rows} 筆；產生於 {date}；{versions}", "{rows} rows; made on {date}; {versions}"),
    "summary_agreement": ("登錄代碼與建議的一致性", "Registered codes against suggestions"),
    "summary_by_category_suggested": ("各大項筆數（建議）", "Rows per category (suggested)"),
    "summary_by_category_registered": ("各大項筆數（登錄）", "Rows per category (registered)"),
    "summary_pairs": ("最常見的不一致（登錄 → 建議）", "Most common disagreements (registered → suggested)"),
    "summary_first": ("優先審查的 {n} 筆", "The {n} rows to review first"),
    "summary_col_priority": ("優先度", "Priority"),
    "summary_col_registered": ("登錄項目", "Registered item"),
    "summary_col_why": ("需審查的原因", "Why review"),
    "summary_none": ("（無資料）", "(none)"),
    # ---- input errors: what was expected, what was found, how to fix it
    "error_empty_text": ("說明是空白的；請輸入產品或服務的說明。", "Expected a product description; found empty text. Type what the product or service does."),
    "error_symbols_only": ("說明只有符號或數字；請用文字說明產品或服務做什麼。", "Expected a description in words; found only symbols or digits. Say what the product or service does."),
    "error_not_text": ("說明必須是文字，收到的是 {found}。", "Expected the description as text; found {found}."),
    "error_empty_file": ("檔案「{name}」是空的；請提供含標題列與資料列的 CSV 或 XLSX 檔。", "Expected a header row and data rows; {name} is empty. Provide a CSV or XLSX file with both."),
    "error_bad_encoding": ("無法讀取「{name}」的編碼（已試 UTF-8、UTF-8 BOM、Big5/CP950）；請在 Excel 另存為「CSV UTF-8」後再試。",
                           "Expected a CSV in UTF-8, UTF-8 BOM or Big5/CP950; {name} is in none of them. Save it from Excel as 'CSV UTF-8' and try again."),
    "error_binary_file": ("「{name}」不是文字 CSV 檔；請提供 CSV 或 XLSX 檔。", "Expected a text CSV file; {name} contains binary data. Provide a CSV or XLSX file."),
    "error_bad_xlsx": ("無法開啟 Excel 檔「{name}」；請確認是 .xlsx 格式且未損壞，或另存為 CSV。", "Expected an Excel .xlsx workbook; {name} could not be opened. Check it is a .xlsx file and not damaged, or save it as CSV."),
    "error_bad_csv": ("「{name}」的 CSV 格式有誤，無法解析；請檢查引號與分隔符號。", "Expected a well-formed CSV; {name} could not be parsed. Check its quotes and separators."),
    "error_missing_column": ("找不到{what}欄位「{column}」；檔案中的欄位有：{found}。{fix}", "Expected a {what} column named “{column}”; found columns {found}. {fix}"),
    "error_missing_file": ("找不到檔案「{path}」；請確認路徑與檔名（目前所在資料夾：{cwd}）。", "Expected a file at {path}; there is none. Check the path and the file name (current folder: {cwd})."),
    "error_is_directory": ("「{path}」是資料夾，不是檔案；請指定檔案，例如 {path}/資料.csv。", "Expected a file; {path} is a folder. Name a file, e.g. {path}/data.csv."),
    "error_not_readable": ("沒有權限讀取「{path}」；請確認檔案權限，或複製到自己的資料夾再試。", "Expected a readable file; {path} cannot be read (permission denied). Check its permissions or copy it to your own folder."),
    "error_missing_folder": ("輸出資料夾「{folder}」不存在；請先建立資料夾（mkdir -p {folder}），或改寫到已存在的資料夾。", "Expected an existing output folder; {folder} does not exist. Create it (mkdir -p {folder}) or write to an existing folder."),
    "error_not_writable": ("無法寫入「{path}」；請確認資料夾權限，或檔案沒有在 Excel 中開啟。", "Expected to write {path}; it cannot be written. Check the folder's permissions and that the file is not open in Excel."),
    "error_bad_output_type": ("輸出檔「{path}」的副檔名必須是 .csv 或 .xlsx。", "Expected the output to end in .csv or .xlsx; found {path}. Rename it."),
    "error_same_file": ("輸出檔與輸入檔相同（{path}）；請另指定輸出檔名，以免覆蓋原始資料。", "Expected an output file other than the input; both are {path}. Name another output file so the original is kept."),
    "error_missing_reviewer": ("請填寫審查人員姓名。", "Expected the reviewer's name; found none. Type your name."),
    "error_bad_verdict": ("資格判定必須是「符合」、「有條件」或「不符合」，收到的是「{found}」。", "Expected a verdict of eligible, conditional or ineligible; found “{found}”."),
    "error_missing_reason": ("修改建議項目或判定（或退回）時，請填寫理由。", "Expected a reason when the suggestion is overridden or returned; found none. Add one."),
    "error_unknown_code": ("「{code}」不是分類表中的小項代碼；請從分類表選擇，例如 4.1.2。", "Expected a sub-item code from the taxonomy, e.g. 4.1.2; found “{code}”."),
    "error_bad_action": ("審查動作與修改內容不一致。", "Expected the review action to match the change; they disagree."),
    "error_missing_code": ("請選擇最終項目。", "Expected the final item; found none. Choose one."),
    "error_bad_type": ("欄位格式有誤（代碼必須是文字）。", "Expected codes as text; found another type."),
    "error_too_large": ("檔案過大（{size}）；網頁一次最多處理 {limit}，更大的檔案請用命令列 python -m classifier batch。",
                        "Expected at most {limit}; the file is {size}. Use python -m classifier batch for larger files."),
    "error_missing_username": ("請提供帳號名稱，例如 python -m classifier users add wang.mei。",
                               "Expected a username, e.g. python -m classifier users add wang.mei; found none."),
    "error_conflicting_options": ("--full-model 與 --quick 只能擇一：前者每列都用完整模型，後者只用快速初篩。請擇一重跑。",
                                  "Expected at most one of --full-model and --quick; found both. Choose one and run it again."),
    "error_password_mismatch": ("兩次輸入的密碼不同；請重新執行並輸入相同的密碼。", "Expected the same password twice; they differ. Run it again."),
    "error_bad_username": ("帳號名稱「{found}」不合規定；請用 2 到 64 個英數字或 . _ @ -。",
                           "Expected a username of 2-64 letters, digits or . _ @ -; found “{found}”."),
    "error_bad_role": ("角色必須是 reviewer 或 admin，收到的是「{found}」。", "Expected the role reviewer or admin; found “{found}”."),
    "error_short_password": ("密碼太短；至少需要 {n} 個字元。", "Expected a password of at least {n} characters; this one is shorter."),
    "error_user_exists": ("帳號「{found}」已存在；請換一個名稱，或用 disable／enable 管理它。",
                          "Expected a new username; “{found}” exists. Choose another, or manage it with disable / enable."),
    "error_unknown_user": ("找不到帳號「{found}」；請用 python -m classifier users list 查看現有帳號。",
                           "Expected an existing account; found no “{found}”. See python -m classifier users list."),
    "error_bad_credentials": ("帳號或密碼不正確。", "Expected a known username and its password; they do not match."),
    "error_account_locked": ("登入失敗次數過多，帳號已暫時鎖定；請約 {minutes} 分鐘後再試，或請管理者協助。",
                             "Too many failed sign-ins: the account is locked. Try again in about {minutes} min, or ask an admin."),
    "error_unknown": ("輸入有誤：{message}", "Input problem: {message}"),
    "column_kind_text": ("說明文字", "text"),
    "column_kind_code": ("登錄代碼", "code"),
    "column_kind_label": ("標準答案代碼", "label (gold code)"),
    "column_kind_applicant": ("申請者", "applicant"),
    "fix_column_cli": ("請用 --{option}-column 指定欄位名稱。", "Name it with --{option}-column."),
    "fix_column_api": ("請在 text_column 指定欄位名稱。", "Name it in text_column."),
    # ---- HTTP API
    "api_not_ready": ("分類模型仍在載入中；請約 5 秒後再試（GET /readyz 會在可用時回應 200）。",
                      "Expected a loaded model; it is still loading. Retry in about 5 s (GET /readyz answers 200 when ready)."),
    "api_api_key": ("此操作需要 API 金鑰；請在 X-API-Key 標頭提供有效的金鑰。",
                    "Expected a valid API key in the X-API-Key header; found none or an unknown one."),
    "api_bad_request": ("請求內容不符合格式：{problems}。請參考 /docs 的欄位說明。",
                        "Expected a request as described at /docs; found: {problems}."),
    "api_unavailable": ("分類服務暫時無法使用；請稍後再試，或請管理者檢查模型與索引。",
                        "The classifier is unavailable right now; retry later, or ask the operator to check the model and index."),
    "api_internal": ("發生未預期的錯誤，已記錄；請稍後再試。", "An unexpected error happened and was logged; please retry later."),
    "api_too_large": ("請求內容過大；上限為 {limit}。請分批送出。", "Expected a request of at most {limit}; this one is larger. Send it in parts."),
    "api_rate": ("請求太頻繁；請於 {seconds} 秒後再試。", "Too many requests from this client; retry in {seconds} s."),
    "api_text_too_long": ("第 {row} 筆說明過長（{found} 字）；每筆上限 {limit} 字，請摘要後再送。",
                          "Expected descriptions of at most {limit} characters; row {row} has {found}. Shorten it."),
    "api_batch_too_large": ("一次最多 {limit} 筆，收到 {found} 筆；請分批送出。",
                            "Expected at most {limit} texts per request; found {found}. Send them in parts."),
    "api_no_file": ("請以 multipart/form-data 在 file 欄位上傳 CSV 或 XLSX 檔，或改送 JSON（texts 為說明清單）。",
                    "Expected a CSV or XLSX upload in the form field file, or JSON with a texts list; found neither."),
    "fix_column_page": ("請在上方選單選擇正確的欄位。", "Choose the right column above."),

}


def t(key: str, lang: str = "zh", **values) -> str:
    """The sentence ``key`` in ``lang`` ("zh" or "en"), with ``values`` filled in."""
    zh, en = CATALOGUE[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def verdict_label(verdict: str, lang: str = "zh") -> str:
    return t(f"verdict_{verdict}", lang) if f"verdict_{verdict}" in CATALOGUE else verdict


def review_label(reason: str, lang: str = "zh") -> str:
    return t(f"review_{reason}", lang) if f"review_{reason}" in CATALOGUE else reason


def source_name(source: str, lang: str = "zh") -> str:
    """What kind of precedent: 範例, 實例, 規定範例, 已審核決定."""
    return t(f"source_name_{source}", lang) if f"source_name_{source}" in CATALOGUE else source


def source_label(source: str, ref: str, lang: str = "zh") -> str:
    """A precedent's label with its reference: 「問答集 FAQ 3」, 「範例 ex-0012」, 「項目定義」."""
    if source == "definition":
        return t("definition", lang)
    return t(f"source_{source}", lang, ref=ref) if f"source_{source}" in CATALOGUE else f"{source} {ref}"


def join_items(items, lang: str = "zh") -> str:
    """A list as it reads in running text: 「甲、乙、丙」 or "a, b, c"."""
    return ("、" if lang == "zh" else ", ").join(map(str, items))


def _listed(value: object, lang: str) -> object:
    return join_items(value, lang) if isinstance(value, list | tuple) else value


def error_text(error: InputError, lang: str = "zh", *, surface: str = "cli") -> str:
    """One line for an input error: what was expected, what was found, how to fix it.

    ``surface`` ("cli" or "page") picks the fix for a wrong column: a flag, or the column picker.
    """
    key = f"error_{error.reason}"
    if key not in CATALOGUE:
        return t("error_unknown", lang, message=str(error))
    values = {k: _listed(v, lang) for k, v in error.detail.items()}
    if error.reason == "missing_column":
        option = str(error.detail.get("option", "text"))
        kind = str(error.detail.get("kind", option))
        values["what"] = t(f"column_kind_{kind}", lang) if f"column_kind_{kind}" in CATALOGUE else kind
        values["fix"] = t(f"fix_column_{surface}", lang, option=option)
    template = CATALOGUE[key][1 if lang == "en" else 0]
    return template.format_map(_Blank(values))


class _Blank(dict):
    """Formatting values where a detail the error did not carry reads as 「…」, never as a crash."""

    def __missing__(self, key: str) -> str:
        return "…"
