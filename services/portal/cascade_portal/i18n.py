"""The portal's message catalogue: every label in Vietnamese (the default) and English."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

# key: (Vietnamese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # frame
    "app.name": ("Cascade - Kế hoạch", "Cascade - Plans"),
    "app.skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "nav.home": ("Trang chính", "Home"),
    "nav.queue": ("Chờ duyệt", "Approval queue"),
    "nav.delegations": ("Ủy quyền", "Delegations"),
    "nav.coverage": ("Bao phủ", "Coverage"),
    "nav.results_report": ("Báo cáo kết quả", "Progress reports"),
    "nav.results_review": ("Tiếp nhận báo cáo", "Reports to review"),
    "nav.results_dashboard": ("Theo dõi kết quả", "Results dashboard"),
    "nav.audit": ("Kiểm tra", "Audit"),
    "nav.inbox": ("Thông báo", "Notifications"),
    "nav.preferences": ("Cài đặt thông báo", "Notification settings"),
    "nav.main": ("Điều hướng chính", "Main navigation"),
    "nav.language": ("English", "Tiếng Việt"),
    "nav.sign_out": ("Đăng xuất", "Sign out"),
    "bell.label": ("Thông báo chưa đọc", "Unread notifications"),
    # sign-in
    "signin.title": ("Đăng nhập", "Sign in"),
    "signin.demo": ("Người dùng mẫu (chế độ nhúng)", "Demo users (embedded mode)"),
    "signin.username": ("Tên đăng nhập", "Username"),
    "signin.as": ("Đăng nhập", "Sign in"),
    "signin.token": (
        "Mã truy cập từ hệ thống định danh",
        "Access token from the identity provider",
    ),
    "signin.token_help": (
        "Dán mã (bearer token) do hệ thống định danh cấp.",
        "Paste the bearer token the identity provider issued.",
    ),
    "signin.with_token": ("Đăng nhập bằng mã", "Sign in with the token"),
    "signin.required": ("Vui lòng đăng nhập", "Please sign in"),
    "signin.bad_token": ("Mã truy cập không hợp lệ", "The access token is not valid"),
    "signin.expired": (
        "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại",
        "Your session has expired, please sign in again",
    ),
    # roles and levels
    "role.drafter": ("Cán bộ soạn thảo", "Drafter"),
    "role.head": ("Lãnh đạo đơn vị", "Head of unit"),
    "role.approver": ("Người phê duyệt", "Approver"),
    "role.auditor": ("Kiểm tra viên", "Auditor"),
    "role.admin": ("Quản trị", "Administrator"),
    # home
    "home.title": ("Kế hoạch của đơn vị", "Plans of your unit"),
    "home.none": ("Đơn vị chưa có kế hoạch nào.", "Your unit has no plan yet."),
    "home.start": ("Lập kế hoạch từ chương trình cấp trên", "Start a plan from the program above"),
    "home.parent": ("Chương trình cấp trên", "Program of the level above"),
    "home.no_parent": (
        "Cấp trên chưa có chương trình được phê duyệt.",
        "The level above has no approved program.",
    ),
    "home.plan_title": ("Tên kế hoạch", "Plan title"),
    "home.placeholders": (
        "Tạo sẵn một nhiệm vụ cho mỗi nhiệm vụ của cấp trên",
        "One placeholder task per task of the level above",
    ),
    "home.start_button": ("Tạo kế hoạch", "Start the plan"),
    "home.waiting": ("Đang chờ bạn duyệt", "Waiting for your decision"),
    # plan fields
    "plan.status": ("Trạng thái", "Status"),
    "plan.version": ("Phiên bản", "Version"),
    "plan.unit": ("Đơn vị", "Unit"),
    "plan.term": ("Nhiệm kỳ", "Term"),
    "plan.drafter": ("Người soạn", "Drafter"),
    "plan.open": ("Mở", "Open"),
    "plan.groups": ("Nhóm nhiệm vụ", "Task groups"),
    "plan.tasks": ("Nhiệm vụ", "Tasks"),
    "plan.indicators": ("Chỉ tiêu", "Indicators"),
    "plan.no_tasks": ("Chưa có nhiệm vụ.", "No tasks yet."),
    "plan.no_indicators": ("Chưa có chỉ tiêu.", "No indicators yet."),
    "plan.not_applicable": ("Không áp dụng", "Not applicable"),
    "plan.na_reason": ("Lý do không áp dụng", "Why it does not apply"),
    "plan.group_title": ("Tên nhóm", "Group title"),
    "plan.withdraw": ("Rút lại để sửa", "Withdraw to change it"),
    "plan.withdraw_help": (
        "Rút kế hoạch đã trình trước quyết định cuối; trình lại sẽ thành phiên bản mới.",
        "Withdraw the submitted plan before the final decision; resubmitting makes a new version.",
    ),
    "plan.save_group": ("Lưu nhóm", "Save the group"),
    "plan.add_task": ("Thêm nhiệm vụ", "Add a task"),
    "plan.edit_task": ("Sửa nhiệm vụ", "Edit the task"),
    "plan.save_task": ("Lưu nhiệm vụ", "Save the task"),
    "plan.delete_task": ("Xóa nhiệm vụ", "Delete the task"),
    "plan.check_title": ("Kiểm tra trước khi trình", "Check before submitting"),
    "plan.check_ok": (
        "Kế hoạch đạt yêu cầu \u201c5 rõ\u201d và bao phủ chương trình cấp trên.",
        "The plan is \u201c5 clear\u201d and covers the program above.",
    ),
    "plan.errors_count": ("lỗi cần sửa", "error(s) to fix"),
    "plan.warnings_count": ("cảnh báo cần đọc", "warning(s) to read"),
    "plan.refused": (
        "Kế hoạch chưa được trình: hãy sửa các lỗi dưới đây (bấm vào từng lỗi để mở đúng ô "
        "cần sửa) và xác nhận đã đọc các cảnh báo.",
        "The plan was not submitted: fix the errors below (each one opens its field) and "
        "confirm you have read the warnings.",
    ),
    "plan.errors_title": ("Lỗi cần sửa", "Errors to fix"),
    "plan.warnings_title": ("Cảnh báo cần đọc và xác nhận", "Warnings to read and acknowledge"),
    "plan.task_label": ("Nhiệm vụ", "Task"),
    "plan.group_label": ("Nhóm nhiệm vụ", "Task group"),
    "plan.indicator_label": ("Chỉ tiêu", "Indicator"),
    "plan.general_label": ("Toàn kế hoạch", "The whole plan"),
    "plan.import_refused": (
        "Tệp chưa được nhập (không dòng nào được lưu): hãy sửa các lỗi dưới đây trong tệp rồi "
        "nhập lại.",
        "The file was not imported (no row was kept): fix the errors below in the file and "
        "import it again.",
    ),
    "import.at_cell": (
        "Trang “{sheet}”, dòng {row}, cột “{column}”",
        "Sheet “{sheet}”, row {row}, column “{column}”",
    ),
    "import.at_row": ("Trang “{sheet}”, dòng {row}", "Sheet “{sheet}”, row {row}"),
    "import.at_sheet": ("Trang “{sheet}”", "Sheet “{sheet}”"),
    "import.at_file": ("Tệp", "The file"),
    "plan.submit": ("Trình phê duyệt", "Submit for approval"),
    "revision.start": ("Sửa đổi kế hoạch", "Revise the plan"),
    "revision.help": (
        "Kế hoạch đang có hiệu lực giữ nguyên hiệu lực cho đến khi bản sửa đổi được phê duyệt; "
        "các đơn vị cấp dưới vẫn cụ thể hóa phiên bản đang có hiệu lực.",
        "The plan in force stays in force until the revision is approved; the units below go on "
        "concretizing the version in force.",
    ),
    "revision.reason": ("Lý do sửa đổi", "Why it is revised"),
    "revision.banner": (
        "Phiên bản {in_force} đang có hiệu lực. Bản sửa đổi (phiên bản {version}):",
        "Version {in_force} is in force. The revision (version {version}):",
    ),
    "revision.beside": ("· sửa đổi:", "· revision:"),
    "revision.needed": ("Cần sửa đổi, hạn", "Needs revision by"),
    "revision.requested": (
        "Kế hoạch cấp trên đã được sửa đổi: đề nghị sửa đổi kế hoạch này trước ngày",
        "The plan above was revised: revise this plan by",
    ),
    "revision.requested_from": ("Theo", "Following"),
    "revision.task": ("Nhiệm vụ", "Task"),
    "revision.task_removed": ("đã bị bỏ", "removed"),
    "revision.task_changed": ("thay đổi", "changed"),
    "revision.discard": ("Hủy bản sửa đổi", "Discard the revision"),
    "revision.started": (
        "Đã bắt đầu sửa đổi; phiên bản đang có hiệu lực giữ nguyên",
        "Revision started; the version in force stays",
    ),
    "revision.discarded": (
        "Đã hủy bản sửa đổi; kế hoạch trở lại phiên bản đang có hiệu lực",
        "Revision discarded; the plan is back to the version in force",
    ),
    "nextterm.start": ("Lập kế hoạch nhiệm kỳ sau", "Start the next term's plan"),
    "nextterm.help": (
        "Kế hoạch mới kế thừa các nhóm nhiệm vụ và các nhiệm vụ chưa hoàn thành của kế hoạch "
        "này (nhiệm vụ đã hoàn thành không chuyển sang). Thời hạn và mốc của nhiệm vụ kế thừa "
        "giữ nguyên: hãy điều chỉnh cho phù hợp nhiệm kỳ mới trước khi trình.",
        "The new plan takes on this plan's task groups and its unfinished tasks (finished tasks "
        "stay behind). The carried tasks keep their deadlines and milestones: fit them to the "
        "new term before submitting.",
    ),
    "nextterm.title": ("Tên kế hoạch", "Title of the plan"),
    "nextterm.term_start": ("Năm bắt đầu nhiệm kỳ", "First year of the term"),
    "nextterm.term_end": ("Năm kết thúc nhiệm kỳ", "Last year of the term"),
    "nextterm.program": ("Chương trình cấp trên nhiệm kỳ sau", "Next term's program above"),
    "nextterm.no_program": ("Không theo chương trình cấp trên", "No program above"),
    "nextterm.plan": ("Kế hoạch", "Plan"),
    "nextterm.from": ("Kế thừa từ:", "Continues:"),
    "nextterm.task_from": ("kế thừa từ nhiệm vụ", "continues task"),
    "nextterm.followed_by": ("Kế hoạch nhiệm kỳ sau:", "Next term's plan:"),
    "plan.ack": ("Tôi đã đọc các cảnh báo", "I have read the warnings"),
    "plan.submitted": ("Đã trình phiên bản", "Submitted version"),
    "plan.import": ("Nhập từ tệp XLSX", "Import from an XLSX file"),
    "plan.import_file": ("Tệp XLSX hoặc CSV", "XLSX or CSV file"),
    "plan.import_button": ("Nhập", "Import"),
    "plan.imported": ("Đã nhập", "Imported"),
    "plan.export": ("Tải về XLSX", "Download XLSX"),
    "plan.export_docx": ("Bản in DOCX", "Printable DOCX"),
    "plan.export_pdf": ("Bản in PDF", "Printable PDF"),
    "plan.import_template": ("Tải mẫu nhập liệu (XLSX)", "Download the import template (XLSX)"),
    "plan.diff": ("So sánh các phiên bản", "Compare versions"),
    "plan.comments": ("Ý kiến thẩm định", "Review comments"),
    "plan.comment_general": ("Ý kiến chung", "General comment"),
    "plan.comment_by": ("Ý kiến của", "Comment by"),
    "plan.saved": ("Đã lưu", "Saved"),
    "plan.read_only": (
        "Kế hoạch chỉ xem: chỉ sửa được khi đang soạn hoặc bị trả lại.",
        "Read only: a plan is edited while drafted or returned.",
    ),
    "plan.changes": ("Thay đổi so với phiên bản trước", "Changes since the previous version"),
    "plan.copy_warning": ("Cảnh báo sao chép", "Copy warning"),
    "plan.cooperating": ("Đơn vị phối hợp", "Cooperating units"),
    "comment.open": ("Chưa giải quyết", "Open"),
    "comment.resolved": ("Đã giải quyết", "Resolved"),
    "comment.remark": ("Nhận xét khi phê duyệt", "Remark made while approving"),
    "comment.resolve": ("Đánh dấu đã giải quyết", "Mark resolved"),
    "comment.resolution": ("Đã xử lý thế nào", "How it was addressed"),
    # task fields
    "task.code": ("Mã", "Code"),
    "task.group": ("Nhóm nhiệm vụ", "Task group"),
    "task.job": ("Nội dung công việc", "Job"),
    "task.lead_unit": ("Đơn vị chủ trì", "Lead unit"),
    "task.cooperating_units": (
        "Đơn vị phối hợp (cách nhau bởi dấu ;)",
        "Cooperating units (separated by ;)",
    ),
    "task.responsible_person": ("Người chịu trách nhiệm", "Responsible person"),
    "task.start": ("Ngày bắt đầu", "Start"),
    "task.deadline": ("Thời hạn", "Deadline"),
    "task.milestones": (
        "Mốc tiến độ (mỗi dòng một mốc, ví dụ: Quý II/2026: xóa 6 điểm)",
        "Milestones (one a line, e.g. Q2 2026: 6 sites cleared)",
    ),
    "task.milestones_short": ("Mốc tiến độ", "Milestones"),
    "task.product_description": ("Sản phẩm", "Product"),
    "task.product_quantity": ("Số lượng", "Quantity"),
    "task.product_unit": ("Đơn vị tính", "Unit of measure"),
    "task.task_group": ("Nhóm nhiệm vụ", "Task group"),
    "task.kind": ("Loại nhiệm vụ", "Kind of task"),
    "task.kind.task": ("Nhiệm vụ", "Task"),
    "task.kind.scheme": ("Đề án", "Scheme"),
    "task.kind.project": ("Dự án", "Project"),
    "task.kind.key_project": ("Dự án, công trình trọng điểm", "Key project"),
    "task.budget": ("Kinh phí dự kiến (tỷ đồng)", "Estimated cost (billion VND)"),
    "task.parent_task_id": ("Nhiệm vụ cấp trên", "Task of the level above"),
    "task.units_hint": (
        "Ghi tên đơn vị, ví dụ: Phường Hương An",
        "Write the unit's name, e.g. Phường Hương An",
    ),
    "indicator.code": ("Mã", "Code"),
    "indicator.name": ("Chỉ tiêu", "Indicator"),
    "indicator.target": ("Mục tiêu", "Target"),
    "indicator.year": ("Năm", "Year"),
    "indicator.unit": ("Đơn vị tính", "Unit of measure"),
    "indicator.baseline": ("Giá trị năm gốc", "Baseline"),
    "indicator.comparator": ("Điều kiện đạt", "Comparison"),
    "plan.title": ("Tên kế hoạch", "Title"),
    "plan.resolution": ("Nghị quyết thực hiện", "Resolution carried out"),
    "plan.term_start": ("Năm đầu nhiệm kỳ", "First year of the term"),
    "plan.term_end": ("Năm cuối nhiệm kỳ", "Last year of the term"),
    "plan.parent_plan_id": ("Chương trình cấp trên", "Program of the level above"),
    # dates, times and periods as officials write them, and what is refused
    "date.placeholder": ("ngày/tháng/năm", "dd/mm/yyyy"),
    "date.moment_placeholder": ("giờ:phút ngày/tháng/năm", "HH:MM dd/mm/yyyy"),
    "official.bad_day": (
        "{field}: \u201c{text}\u201d không phải là ngày hợp lệ; hãy ghi ngày/tháng/năm, "
        "ví dụ 01/03/2026",
        "{field}: \u201c{text}\u201d is not a valid date; write it day first, e.g. 01/03/2026",
    ),
    "official.bad_moment": (
        "{field}: \u201c{text}\u201d không phải là thời điểm hợp lệ; hãy ghi ngày/tháng/năm, "
        "có thể kèm giờ:phút, ví dụ 14:05 03/03/2026",
        "{field}: \u201c{text}\u201d is not a valid time; write the day first, with the time "
        "if you like, e.g. 14:05 03/03/2026",
    ),
    "official.bad_period": (
        "{field}: \u201c{text}\u201d không phải là kỳ hợp lệ; hãy ghi như Quý II/2026, "
        "Tháng 3/2026, 6 tháng đầu năm 2026 hoặc Năm 2026",
        "{field}: \u201c{text}\u201d is not a valid period; write e.g. Q2 2026, March 2026, "
        "First half of 2026 or Year 2026",
    ),
    # people we cannot name from the directory
    "who.system": ("Hệ thống", "The system"),
    "who.official_of": ("Cán bộ {unit}", "An official of {unit}"),
    "who.someone": ("Cán bộ đơn vị khác", "An official of another unit"),
    "who.comrade": ("Đ/c {name}", "{name}"),
    # approval steps: the routing policy's step names, labelled
    "step.ward-head-signoff": ("Lãnh đạo phường, xã ký trình", "Ward head signs off"),
    "step.city-decision": ("Thành phố phê duyệt", "City approval"),
    "step.central-review-of-large-budgets": (
        "Trung ương thẩm định (dự án trên 500 tỷ đồng)",
        "Central review (projects over 500 billion VND)",
    ),
    "step.city-head-signoff": ("Lãnh đạo thành phố ký trình", "City head signs off"),
    "step.central-decision": ("Trung ương phê duyệt", "Central approval"),
    "step.unknown": ("Bước phê duyệt", "Approval step"),
    # 5 clear
    "element.job": ("Chưa rõ việc", "Job not clear"),
    "element.person": ("Chưa rõ người", "Person not clear"),
    "element.responsibility": ("Chưa rõ trách nhiệm", "Responsibility not clear"),
    "element.timeline": ("Chưa rõ thời gian", "Timeline not clear"),
    "element.product": ("Chưa rõ sản phẩm", "Product not clear"),
    "finding.coverage": ("Chưa bao phủ", "Not covered"),
    "finding.mechanical-copy": ("Sao chép máy móc", "Mechanical copy"),
    "finding.mechanical-copy-lead-unit": (
        "Sao chép máy móc đơn vị chủ trì",
        "Lead unit copied from above",
    ),
    "finding.mechanical-copy-quantity": (
        "Sao chép máy móc số lượng",
        "Quantity copied from above",
    ),
    "finding.generic-job": ("Việc chung chung", "Generic job"),
    "finding.unanswered-comment": ("Góp ý chưa giải quyết", "Comment not answered"),
    "finding.indicator": ("Chỉ tiêu chưa hợp lệ", "Indicator not valid"),
    # statuses
    "status.none": ("Chưa có", "None"),
    "status.draft": ("Đang soạn", "Drafted"),
    "status.submitted": ("Đã trình", "Submitted"),
    "status.returned": ("Bị trả lại", "Returned"),
    "status.approved": ("Đã phê duyệt", "Approved"),
    "status.rejected": ("Bị từ chối", "Rejected"),
    "status.withdrawn": ("Đã rút", "Withdrawn"),
    "status.in_review": ("Đang thẩm định", "In review"),
    # diff
    "diff.title": ("So sánh phiên bản", "Version comparison"),
    "diff.from": ("Từ phiên bản", "From version"),
    "diff.to": ("Đến phiên bản", "To version"),
    "diff.show": ("So sánh", "Compare"),
    "diff.added": ("Thêm mới", "Added"),
    "diff.removed": ("Bỏ đi", "Removed"),
    "diff.changed": ("Thay đổi", "Changed"),
    "diff.field": ("Trường", "Field"),
    "diff.before": ("Trước", "Before"),
    "diff.after": ("Sau", "After"),
    "diff.none": ("Không có thay đổi.", "No changes."),
    "diff.need_two": (
        "Cần ít nhất hai phiên bản đã trình để so sánh.",
        "Two submitted versions are needed to compare.",
    ),
    "diff.working": ("bản đang soạn", "working copy"),
    # approvals
    "queue.title": ("Hồ sơ chờ duyệt", "Waiting for your decision"),
    "queue.empty": ("Không có hồ sơ nào chờ bạn.", "Nothing is waiting for you."),
    "queue.plan": ("Kế hoạch", "Plan"),
    "queue.step": ("Bước", "Step"),
    "queue.due": ("Hạn", "Due"),
    "queue.overdue": ("Quá hạn", "Overdue"),
    "queue.all": ("Tất cả", "All"),
    "queue.only_overdue": ("Chỉ hồ sơ quá hạn", "Overdue only"),
    "queue.on_behalf": ("Thay cho", "On behalf of"),
    "queue.review": ("Xem và quyết định", "Review and decide"),
    "decision.title": ("Quyết định", "Decision"),
    "decision.approve": ("Phê duyệt", "Approve"),
    "decision.return": ("Trả lại để sửa", "Return for changes"),
    "decision.reject": ("Từ chối", "Reject"),
    "decision.partial": (
        "Phê duyệt một phần: phê duyệt các nhóm đã chọn, trả lại các nhóm còn lại",
        "Approve in part: approve the groups ticked, return the others",
    ),
    "decision.partial_groups": (
        "Nhóm nhiệm vụ được phê duyệt",
        "Task groups approved",
    ),
    "decision.partial_help": (
        "Khi phê duyệt một phần, các nhóm được chọn giữ nguyên (đơn vị không sửa được nữa); "
        "các nhóm không chọn được trả lại kèm ý kiến của đồng chí.",
        "With a partial decision the groups ticked stay as they are (the unit can no longer "
        "edit them); the others go back with your comments.",
    ),
    "decision.approved_groups": ("Nhóm nhiệm vụ được phê duyệt", "Task groups approved"),
    "partial.banner": (
        "Kế hoạch đã được phê duyệt một phần. Các nhóm nhiệm vụ sau đã được phê duyệt:",
        "The plan was approved in part. These task groups are approved:",
    ),
    "partial.approved_in": ("phê duyệt ở phiên bản {version}", "approved in version {version}"),
    "partial.badge": ("Đã phê duyệt · giữ nguyên", "Approved · frozen"),
    "partial.help_drafter": (
        "Các nhóm này và nhiệm vụ của chúng giữ nguyên, không chỉnh sửa được; đề nghị chỉnh "
        "sửa các nhóm bị trả lại theo ý kiến và trình lại.",
        "These groups and their tasks stay as approved and cannot be edited; revise the "
        "returned groups as commented and submit again.",
    ),
    "partial.help_approver": (
        "Các nhóm này đã được phê duyệt ở lần trình trước nên không hiển thị bên dưới; chỉ "
        "các nhóm bị trả lại cần xem xét.",
        "These groups were approved at an earlier submission and are not shown below; only "
        "the returned groups need your review.",
    ),
    "partial.show_tasks": ("Xem nhiệm vụ của các nhóm đã phê duyệt", "Show their tasks"),
    "decision.comment": (
        "Ý kiến chung (khi trả lại hoặc từ chối: ý kiến chung hoặc ý kiến về nhiệm vụ)",
        "General comment (to return or reject: this or a comment on a task)",
    ),
    "decision.task_comment": ("Ý kiến về nhiệm vụ này", "Comment on this task"),
    "decision.send": ("Gửi quyết định", "Send the decision"),
    "decision.done": ("Đã ghi nhận quyết định", "The decision is recorded"),
    "decision.choose": (
        "Chọn một quyết định: phê duyệt, trả lại để sửa hoặc từ chối",
        "Choose a decision: approve, return for changes or reject",
    ),
    "decision.confirm": (
        "Tôi đã xem kỹ kế hoạch và xác nhận quyết định này",
        "I have read the plan and confirm this decision",
    ),
    "decision.confirm_needed": (
        "Quyết định chưa được gửi. Đề nghị đánh dấu ô “Tôi đã xem kỹ kế hoạch và xác nhận "
        "quyết định này” rồi bấm “Gửi quyết định” lần nữa.",
        "The decision was not sent. Tick “I have read the plan and confirm this decision”, "
        "then press “Send the decision” again.",
    ),
    "decision.confirm_approve": (
        "Đồng chí sắp PHÊ DUYỆT kế hoạch này: sau khi phê duyệt, kế hoạch có hiệu lực.",
        "You are about to APPROVE this plan: once approved, it is in force.",
    ),
    "decision.confirm_partial": (
        "Đồng chí sắp PHÊ DUYỆT MỘT PHẦN kế hoạch này: các nhóm đã chọn được giữ nguyên.",
        "You are about to APPROVE this plan IN PART: the groups ticked are frozen.",
    ),
    "decision.confirm_reject": (
        "Đồng chí sắp TỪ CHỐI kế hoạch này: kế hoạch bị từ chối không trình lại được.",
        "You are about to REJECT this plan: a rejected plan cannot be submitted again.",
    ),
    "decision.signed_title": ("Các bước đã ký", "Steps already signed"),
    "decision.signed_none": (
        "Đồng chí là người quyết định đầu tiên của lần trình này.",
        "You are the first to decide on this submission.",
    ),
    "decision.signed_at": ("lúc", "at"),
    "decision.signed_in_version": (
        "đã ký ở phiên bản {version}, lần trình này không phải ký lại",
        "signed in version {version}, not asked again in this submission",
    ),
    # the tasks as one table, like a spreadsheet
    "grid.link": ("Sửa dạng bảng (như Excel)", "Edit as a table (like Excel)"),
    "grid.title": ("Bảng nhiệm vụ", "Tasks as a table"),
    "grid.help": (
        "Mỗi dòng là một nhiệm vụ, mỗi ô là một nội dung. Có thể sao chép một vùng ô trong "
        "Excel rồi dán (Ctrl+V) vào một ô: các ô được điền sang phải và xuống dưới. Ngày viết "
        "dd/mm/yyyy; mốc tiến độ “Quý II/2026: …”, cách nhau bằng dấu “;”. Bấm “Lưu bảng” để "
        "lưu tất cả một lần: có lỗi thì không dòng nào được lưu. Đánh dấu ô “Xóa” ở cuối dòng "
        "để xóa nhiệm vụ đó khi lưu.",
        "One task a row, one field a cell. Copy a block of cells in Excel and paste it (Ctrl+V) "
        "into a cell: the cells fill to the right and down. Days are dd/mm/yyyy; milestones "
        "“Q2 2026: …” separated by “;”. “Save the table” saves everything at once: with an "
        "error, no row is saved. Tick “Delete” at the end of a row to delete its task on saving.",
    ),
    "grid.save": ("Lưu bảng", "Save the table"),
    "grid.add_row": ("Thêm dòng", "Add a row"),
    "grid.row": ("Dòng {n}", "Row {n}"),
    "grid.back": ("Quay lại kế hoạch", "Back to the plan"),
    "grid.refused": (
        "Bảng chưa được lưu (không dòng nào được lưu): sửa các ô được đánh dấu rồi lưu lại.",
        "The table was not saved (no row was kept): fix the cells marked, then save again.",
    ),
    "grid.pasted": ("Đã dán {n} dòng từ bảng tính", "Pasted {n} rows from the spreadsheet"),
    "grid.delete": ("Xóa", "Delete"),
    "grid.delete_task": ("xóa nhiệm vụ này khi lưu", "delete this task on saving"),
    "grid.indicators_title": ("Bảng chỉ tiêu", "Indicators as a table"),
    "grid.indicators_help": (
        "Mỗi dòng là một chỉ tiêu. Số viết theo cách Việt Nam (1.000 là một nghìn, 0,5 là một "
        "nửa); so sánh là ≥, ≤ hoặc =. Bảng này được lưu riêng, cũng tất cả một lần.",
        "One indicator a row. Figures as written in English (1,000 is a thousand, 0.5 a half); "
        "the comparison is ≥, ≤ or =. This table is saved on its own, also all at once.",
    ),
    "grid.delete_indicator": ("xóa chỉ tiêu này khi lưu", "delete this indicator on saving"),
    "grid.not_deleted_indicator": (
        "Các dòng khác đã được lưu, nhưng chỉ tiêu {code} chưa xóa được: {reason}",
        "The other rows were saved, but indicator {code} could not be deleted: {reason}",
    ),
    "grid.not_deleted": (
        "Các dòng khác đã được lưu, nhưng nhiệm vụ {code} chưa xóa được: {reason}",
        "The other rows were saved, but task {code} could not be deleted: {reason}",
    ),
    # a plan printed for review on paper
    "print.link": ("In bản dự thảo để góp ý", "Print the draft for review"),
    "print.link_final": ("In kế hoạch", "Print the plan"),
    "print.draft": ("BẢN DỰ THẢO", "DRAFT"),
    "print.draft_note": (
        "Bản dự thảo để xin ý kiến, chưa được phê duyệt, chưa có giá trị thi hành.",
        "A draft for review: not approved, not in force.",
    ),
    "print.button": ("In trang này", "Print this page"),
    "print.back": ("Quay lại kế hoạch", "Back to the plan"),
    "print.printed_at": ("In lúc", "Printed at"),
    "print.status": ("Tình trạng", "Status"),
    "print.no": ("TT", "No."),
    "print.lead": ("Chủ trì", "Lead"),
    "print.person": ("Người chịu trách nhiệm", "Person responsible"),
    "print.time": ("Thời gian", "Timeline"),
    "print.product": ("Sản phẩm", "Product"),
    "print.job": ("Nội dung công việc", "Job"),
    "print.comments": ("Ý kiến góp ý", "Review comments"),
    "comment.version": ("phiên bản {version}", "version {version}"),
    "comment.on": ("ngày", "on"),
    "delegations.title": ("Ủy quyền phê duyệt", "Delegate your decisions"),
    "delegations.delegate": ("Đồng nghiệp nhận ủy quyền", "Colleague"),
    "delegations.ends_at": ("Đến ngày", "Until"),
    "delegations.reason": ("Lý do", "Reason"),
    "delegations.grant": ("Ủy quyền", "Delegate"),
    "delegations.revoke": ("Thu hồi", "Revoke"),
    "delegations.list": ("Các ủy quyền", "Delegations"),
    "delegations.none": ("Chưa có ủy quyền.", "No delegations."),
    "delegations.from": ("Người ủy quyền", "From"),
    "delegations.revoked": ("Đã thu hồi", "Revoked"),
    "delegations.choose": ("Chọn đồng nghiệp", "Choose a colleague"),
    # notifications
    "inbox.title": ("Thông báo", "Notifications"),
    "inbox.empty": ("Không có thông báo.", "No notifications."),
    "inbox.unread": ("chưa đọc", "unread"),
    "inbox.mark_read": ("Đánh dấu đã đọc", "Mark read"),
    "inbox.read_all": ("Đánh dấu tất cả đã đọc", "Mark all read"),
    "inbox.open_plan": ("Mở kế hoạch", "Open the plan"),
    "prefs.title": ("Cài đặt thông báo", "Notification settings"),
    "prefs.kind": ("Loại thông báo", "Kind"),
    "prefs.inapp": ("Trong ứng dụng", "In the app"),
    "prefs.email": ("Thư điện tử", "E-mail"),
    "prefs.digest": ("Gộp hằng ngày", "Daily digest"),
    "prefs.save": ("Lưu cài đặt", "Save the settings"),
    "prefs.all_kinds": ("Mọi loại (mặc định)", "Every kind (default)"),
    "prefs.critical": ("luôn vào hộp thư", "always in the inbox"),
    "kind.approval.step_assigned": ("Hồ sơ mới chờ tôi duyệt", "A step assigned to me"),
    "kind.approval.step_reminded": ("Nhắc hạn duyệt", "Decision reminders"),
    "kind.approval.step_overdue": ("Quá hạn duyệt", "Overdue decisions"),
    "kind.approval.step_escalated": ("Chuyển lên cấp trên do quá hạn", "Escalations"),
    "kind.plan.approved": ("Kế hoạch được phê duyệt", "Plan approved"),
    "kind.notification.announced": (
        "Thông báo chung của cấp trên (thư gộp hằng ngày)",
        "Announcements (e-mail in the daily digest)",
    ),
    "kind.plan.returned": ("Kế hoạch bị trả lại", "Plan returned"),
    "kind.plan.rejected": ("Kế hoạch bị từ chối", "Plan rejected"),
    "kind.plan.withdrawn": ("Kế hoạch được rút lại", "Plan withdrawn"),
    "kind.plan.to_concretize": (
        "Cấp trên có kế hoạch cần cụ thể hóa",
        "A plan above to concretize",
    ),
    "kind.plan.revision_requested": (
        "Cấp trên sửa đổi kế hoạch: đề nghị sửa đổi theo",
        "Plan above revised: revise to follow",
    ),
    "kind.plan.revision_request_due_soon": ("Nhắc hạn sửa đổi kế hoạch", "Revision due soon"),
    "kind.plan.revision_request_overdue": ("Quá hạn sửa đổi kế hoạch", "Revision overdue"),
    "kind.plan.revision_request_escalated": (
        "Đôn đốc cấp dưới sửa đổi kế hoạch quá hạn",
        "Units below late revising",
    ),
    "kind.results.report_submitted": ("Báo cáo cấp dưới gửi lên", "Reports sent up to us"),
    "kind.results.report_accepted": ("Báo cáo được tiếp nhận", "Report accepted"),
    "kind.results.report_returned": ("Báo cáo bị trả lại", "Report returned"),
    "kind.results.report_reopened": ("Báo cáo được mở lại để điều chỉnh", "Report reopened"),
    "kind.results.report_due_soon": ("Nhắc hạn gửi báo cáo", "Report due soon"),
    "kind.results.report_overdue": ("Quá hạn gửi báo cáo", "Overdue reports"),
    "kind.results.task_overdue": ("Nhiệm vụ quá hạn", "Overdue tasks"),
    "kind.results.task_escalated": (
        "Nhiệm vụ quá hạn chuyển lên cấp trên",
        "Overdue tasks escalated",
    ),
    "kind.results.evaluation_published": ("Công bố kết quả đánh giá", "Evaluation published"),
    # coverage
    "coverage.title": ("Bao phủ chương trình", "Program coverage"),
    "coverage.program": ("Chương trình", "Program"),
    "coverage.unit": ("Đơn vị cấp dưới", "Unit below"),
    "coverage.chart": (
        "Số đơn vị cấp dưới theo nhóm nhiệm vụ và trạng thái",
        "Units below by task group and state",
    ),
    "coverage.none_program": (
        "Đơn vị chưa có chương trình được phê duyệt.",
        "Your unit has no approved program.",
    ),
    "coverage.not_covered": ("Chưa bao phủ", "Not covered"),
    "coverage.summary": ("Tổng hợp", "Summary"),
    # audit
    "audit.title": ("Tra cứu nhật ký kiểm tra", "Search the audit trail"),
    "audit.plan": ("Kế hoạch", "Plan"),
    "audit.actor": ("Người thực hiện", "Actor"),
    "audit.unit": ("Đơn vị (và cấp dưới)", "Unit (and below)"),
    "audit.type": ("Loại sự kiện", "Event type"),
    "audit.since": ("Từ", "From"),
    "audit.until": ("Đến", "Until"),
    "audit.search": ("Tìm", "Search"),
    "audit.csv": ("Xuất CSV", "Export CSV"),
    "audit.verify": ("Kiểm tra tính toàn vẹn chuỗi", "Verify the chain"),
    "audit.verify_ok": ("Chuỗi toàn vẹn", "The chain is intact"),
    "audit.verify_broken": ("Chuỗi bị phá vỡ tại bản ghi", "The chain is broken at record"),
    "audit.checked": ("bản ghi đã kiểm tra", "records checked"),
    "audit.seq": ("STT", "No."),
    "audit.time": ("Thời điểm", "Time"),
    "audit.next": ("Trang sau", "Next page"),
    "audit.empty": ("Không có bản ghi phù hợp.", "No matching records."),
    "audit.any": ("Tất cả", "Any"),
    "audit.what": ("Diễn biến", "What happened"),
    "audit.records": ("Các bản ghi tìm thấy", "Records found"),
    "audit.plan_any": ("Tất cả kế hoạch", "Every plan"),
    "audit.plan_other": ("Kế hoạch khác", "Another plan"),
    # charts to paste into a report
    "chart.download_svg": ("Tải biểu đồ (SVG)", "Download the chart (SVG)"),
    "chart.download_png": ("Tải biểu đồ (PNG)", "Download the chart (PNG)"),
    "chart.print": ("In trang (khổ A4)", "Print the page (A4)"),
    # the audit trail as sentences: one per event type ({who} did what to {plan}, ...), the
    # time added after it; and a short label per type for the search form
    "trail.plan_titled": ("kế hoạch \u201c{title}\u201d", "the plan \u201c{title}\u201d"),
    "trail.plan": ("kế hoạch", "the plan"),
    "trail.step": ("bước {n} ({who})", "step {n} ({who})"),
    "trail.decision.approve": ("phê duyệt", "approved"),
    "trail.decision.return": ("trả lại", "returned"),
    "trail.decision.reject": ("từ chối", "rejected"),
    "trail.on_behalf": (" thay cho {name}", " on behalf of {name}"),
    "trail.outcome.approved": ("được phê duyệt", "approved"),
    "trail.outcome.returned": ("bị trả lại để sửa", "returned for changes"),
    "trail.outcome.rejected": ("bị từ chối", "rejected"),
    "trail.outcome.withdrawn": ("được rút lại", "withdrawn"),
    "trail.when": (" lúc {time} ngày {day}", " at {time} on {day}"),
    "says.directory.unit_changed": (
        "{who} cập nhật đơn vị {name}",
        "{who} updated the unit {name}",
    ),
    "says.directory.user_changed": (
        "{who} cập nhật tài khoản của {name} ({unit})",
        "{who} updated the account of {name} ({unit})",
    ),
    "says.plan.created": ("{who} lập {plan}", "{who} started {plan}"),
    "says.plan.revision_started": (
        "{who} bắt đầu sửa đổi {plan} (phiên bản {version})",
        "{who} started revising {plan} (version {version})",
    ),
    "says.plan.revision_discarded": (
        "{who} hủy bản sửa đổi {plan}; phiên bản đang có hiệu lực giữ nguyên",
        "{who} discarded the revision of {plan}; the version in force stays",
    ),
    "says.plan.revision_requested": (
        "Kế hoạch cấp trên được sửa đổi: đề nghị {unit} sửa đổi {plan} trước ngày {due}",
        "The plan above was revised: {unit} is asked to revise {plan} by {due}",
    ),
    "says.plan.revision_request_due_soon": (
        "Nhắc {unit} sửa đổi {plan} trước ngày {due}",
        "{unit} reminded to revise {plan} by {due}",
    ),
    "says.plan.revision_request_overdue": (
        "{unit} quá hạn sửa đổi {plan} (hạn {due})",
        "{unit} is late revising {plan} (due {due})",
    ),
    "says.plan.revision_request_escalated": (
        "Báo cáo {escalated_to} việc {unit} quá hạn sửa đổi {plan} (hạn {due})",
        "{escalated_to} told that {unit} is late revising {plan} (due {due})",
    ),
    "says.plan.submitted": (
        "{who} trình {plan} (phiên bản {version}) để phê duyệt",
        "{who} submitted {plan} (version {version}) for approval",
    ),
    "says.plan.approved": (
        "{who} phê duyệt {plan} (phiên bản {version}); kế hoạch có hiệu lực",
        "{who} approved {plan} (version {version}); it is in force",
    ),
    "trail.groups": (
        ", phê duyệt một phần: đã phê duyệt nhóm {approved}; trả lại nhóm {returned}",
        ", in part: task groups {approved} approved; {returned} returned",
    ),
    "says.plan.returned": (
        "{who} trả lại {plan} (phiên bản {version}) để sửa{groups}",
        "{who} returned {plan} (version {version}) for changes{groups}",
    ),
    "says.plan.rejected": (
        "{who} từ chối {plan} (phiên bản {version})",
        "{who} rejected {plan} (version {version})",
    ),
    "says.plan.withdrawn": (
        "{who} rút lại {plan} (phiên bản {version}) để sửa",
        "{who} withdrew {plan} (version {version}) to change it",
    ),
    "says.approval.case_opened": (
        "Mở hồ sơ phê duyệt {plan} (phiên bản {version})",
        "The approval case of {plan} (version {version}) opened",
    ),
    "says.approval.step_assigned": (
        "{plan} (phiên bản {version}) chuyển đến {step}, hạn {due}",
        "{plan} (version {version}) went to {step}, due {due}",
    ),
    "says.approval.step_decided": (
        "{who}{behalf} {decision} {plan} (phiên bản {version}) ở {step}{groups}",
        "{who}{behalf} {decision} {plan} (version {version}) at {step}{groups}",
    ),
    "says.approval.step_reminded": (
        "Nhắc hạn {step} đối với {plan} (hạn {due})",
        "Reminder of {step} on {plan} (due {due})",
    ),
    "says.approval.step_overdue": (
        "{step} đối với {plan} đã quá hạn (hạn {due})",
        "{step} on {plan} is overdue (due {due})",
    ),
    "says.approval.step_escalated": (
        "{step} đối với {plan} quá hạn, chuyển lên {escalated_to}",
        "{step} on {plan} is overdue and went up to {escalated_to}",
    ),
    "says.approval.delegation_granted": (
        "{who} ủy quyền phê duyệt cho {delegate} đến ngày {until}",
        "{who} delegated their decisions to {delegate} until {until}",
    ),
    "says.approval.delegation_revoked": (
        "{who} thu hồi ủy quyền phê duyệt đã giao cho {delegate}",
        "{who} revoked the delegation to {delegate}",
    ),
    "says.approval.step_carried_over": (
        "{step} giữ nguyên phê duyệt khi {plan} được trình lại (phiên bản {version})",
        "{step} stood when {plan} was submitted again (version {version})",
    ),
    "says.approval.comment_resolved": (
        "{who} đánh dấu đã giải quyết một góp ý về {plan} (phiên bản {version})",
        "{who} answered a review comment on {plan} (version {version})",
    ),
    "says.approval.policy_installed": (
        "{who} ban hành quy trình phê duyệt phiên bản {version}",
        "{who} installed the routing policy version {version}",
    ),
    "says.approval.case_completed": (
        "Hồ sơ phê duyệt {plan} (phiên bản {version}) kết thúc: {outcome}{groups}",
        "The approval case of {plan} (version {version}) ended: {outcome}{groups}",
    ),
    "says.notification.announced": (
        "{who} gửi thông báo \u201c{title}\u201d tới {unit}",
        "{who} announced \u201c{title}\u201d to {unit}",
    ),
    "says.results.report_submitted": (
        "{who} ký duyệt và gửi báo cáo {period} của {unit}",
        "{who} signed off and sent the report of {unit} for {period}",
    ),
    "says.results.report_accepted": (
        "{who} tiếp nhận báo cáo {period} của {unit}",
        "{who} accepted the report of {unit} for {period}",
    ),
    "says.results.report_returned": (
        "{who} trả lại báo cáo {period} của {unit} để bổ sung",
        "{who} returned the report of {unit} for {period} for changes",
    ),
    "says.results.report_reopened": (
        "{who} mở lại kỳ báo cáo {period} của {unit}",
        "{who} reopened the reporting period {period} of {unit}",
    ),
    "says.results.report_due_soon": (
        "Nhắc {unit} gửi báo cáo {period} (hạn {due})",
        "Reminder to {unit} of the report for {period} (due {due})",
    ),
    "says.results.report_overdue": (
        "{unit} quá hạn gửi báo cáo {period} (hạn {due})",
        "{unit} has not sent the report for {period} (due {due})",
    ),
    "says.results.task_overdue": (
        "Nhiệm vụ {task} của {unit} quá hạn (thời hạn {deadline})",
        "Task {task} of {unit} is overdue (deadline {deadline})",
    ),
    "says.results.task_escalated": (
        "Nhiệm vụ {task} của {unit} quá hạn, báo lên {escalated_to}",
        "Task {task} of {unit} is overdue, reported to {escalated_to}",
    ),
    "says.results.evaluation_published": (
        "{who} công bố kết quả đánh giá {period} của {unit}: {score} điểm",
        "{who} published the evaluation of {unit} for {period}: {score} points",
    ),
    "says.audit.checkpoint_sealed": (
        "Nhật ký được niêm phong và ký số, từ bản ghi {first} đến {last}",
        "The trail was sealed and signed, records {first} to {last}",
    ),
    "says.other": ("{who}: một sự kiện khác của hệ thống", "{who}: another event of the system"),
    "event.directory.unit_changed": ("Cập nhật đơn vị", "Unit updated"),
    "event.directory.user_changed": ("Cập nhật tài khoản", "Account updated"),
    "event.plan.created": ("Lập kế hoạch", "Plan started"),
    "event.plan.submitted": ("Trình kế hoạch", "Plan submitted"),
    "event.approval.step_carried_over": (
        "Giữ nguyên bước đã phê duyệt",
        "Approved step carried over",
    ),
    "event.approval.comment_resolved": ("Giải quyết góp ý", "Comment answered"),
    "event.approval.policy_installed": (
        "Ban hành quy trình phê duyệt",
        "Routing policy installed",
    ),
    "event.plan.revision_requested": ("Đề nghị sửa đổi theo cấp trên", "Revision requested"),
    "event.plan.revision_request_due_soon": ("Nhắc hạn sửa đổi", "Revision due soon"),
    "event.plan.revision_request_overdue": ("Quá hạn sửa đổi", "Revision overdue"),
    "event.plan.revision_request_escalated": ("Đôn đốc sửa đổi quá hạn", "Revision escalated"),
    "event.plan.revision_started": ("Bắt đầu sửa đổi kế hoạch", "Revision started"),
    "event.plan.revision_discarded": ("Hủy bản sửa đổi kế hoạch", "Revision discarded"),
    "event.plan.approved": ("Phê duyệt kế hoạch", "Plan approved"),
    "event.plan.returned": ("Trả lại kế hoạch", "Plan returned"),
    "event.plan.rejected": ("Từ chối kế hoạch", "Plan rejected"),
    "event.plan.withdrawn": ("Rút lại kế hoạch", "Plan withdrawn"),
    "event.approval.case_opened": ("Mở hồ sơ phê duyệt", "Approval case opened"),
    "event.approval.step_assigned": ("Chuyển bước phê duyệt", "Step assigned"),
    "event.approval.step_decided": ("Quyết định ở một bước", "Step decided"),
    "event.approval.step_reminded": ("Nhắc hạn phê duyệt", "Decision reminder"),
    "event.approval.step_overdue": ("Quá hạn phê duyệt", "Decision overdue"),
    "event.approval.step_escalated": ("Chuyển lên cấp trên do quá hạn", "Escalated"),
    "event.approval.delegation_granted": ("Ủy quyền phê duyệt", "Delegation granted"),
    "event.approval.delegation_revoked": ("Thu hồi ủy quyền", "Delegation revoked"),
    "event.approval.case_completed": ("Kết thúc hồ sơ phê duyệt", "Approval case ended"),
    "event.notification.announced": ("Gửi thông báo chung", "Announcement"),
    "event.results.report_submitted": ("Gửi báo cáo kết quả", "Report sent"),
    "event.results.report_accepted": ("Tiếp nhận báo cáo", "Report accepted"),
    "event.results.report_returned": ("Trả lại báo cáo", "Report returned"),
    "event.results.report_reopened": ("Mở lại kỳ báo cáo", "Period reopened"),
    "event.results.report_due_soon": ("Nhắc hạn báo cáo", "Report due soon"),
    "event.results.report_overdue": ("Quá hạn báo cáo", "Report overdue"),
    "event.results.task_overdue": ("Nhiệm vụ quá hạn", "Task overdue"),
    "event.results.task_escalated": ("Nhiệm vụ quá hạn báo lên cấp trên", "Task escalated"),
    "event.results.evaluation_published": ("Công bố kết quả đánh giá", "Evaluation published"),
    "event.audit.checkpoint_sealed": ("Niêm phong nhật ký", "Trail sealed"),
    "event.other": ("Sự kiện khác", "Other event"),
    # results: progress reports, review, dashboard, explained score
    "results.reports_title": ("Báo cáo kết quả thực hiện", "Progress reports"),
    "results.report_title": ("Báo cáo kết quả thực hiện", "Progress report for"),
    "results.report_of": ("Báo cáo", "Report for"),
    "results.no_periods": (
        "Đơn vị chưa có kế hoạch được phê duyệt nên chưa có kỳ báo cáo.",
        "Your unit has no approved plan yet, so nothing to report on.",
    ),
    "results.period": ("Kỳ báo cáo", "Reporting period"),
    "results.show": ("Xem", "Show"),
    "results.period.open": ("Đang mở", "Open"),
    "results.period.locked": ("Đã khóa sổ", "Locked"),
    "results.period.not_open": ("Chưa đến kỳ", "Not open yet"),
    "results.due_on": ("Hạn gửi", "Due"),
    "results.locks_on": ("khóa sổ ngày", "locks on"),
    "results.late": ("Gửi trễ hạn", "Sent late"),
    "results.on_time": ("Gửi đúng hạn", "Sent on time"),
    "results.not_sent": ("Chưa gửi", "Not sent"),
    "results.report.none": ("Chưa báo cáo", "Not reported"),
    "results.report.draft": ("Đang soạn", "Drafted"),
    "results.report.submitted": ("Đã gửi, chờ tiếp nhận", "Sent, awaiting review"),
    "results.report.accepted": ("Đã tiếp nhận", "Accepted"),
    "results.report.returned": ("Bị trả lại", "Returned"),
    "results.open_report": ("Mở báo cáo", "Open the report"),
    "results.start_report": ("Lập báo cáo", "Start the report"),
    "results.all_periods": ("Tất cả kỳ báo cáo", "All reporting periods"),
    "results.versions": ("Các phiên bản", "Versions"),
    "results.submitted_by": ("Gửi bởi", "Sent by"),
    "results.decided_by": ("Quyết định bởi", "Decided by"),
    "results.reopened_because": ("Kỳ báo cáo được mở lại:", "The period was reopened:"),
    "results.locked_help": (
        "Kỳ báo cáo đã khóa sổ: chỉ cấp trên mở lại được, kèm lý do.",
        "The period is locked: only the level above can reopen it, with a reason.",
    ),
    "results.errors_save": (
        "Báo cáo chưa được lưu: hãy sửa các lỗi sau (không nội dung nào được ghi).",
        "The report was not saved: fix these errors (nothing was stored).",
    ),
    "results.errors_sign": (
        "Báo cáo chưa được gửi: hãy sửa các lỗi sau rồi ký duyệt lại.",
        "The report was not sent: fix these errors, then sign it off again.",
    ),
    "results.task": ("Nhiệm vụ", "Task"),
    "results.indicator": ("Chỉ tiêu", "Indicator"),
    "results.state": ("Tình hình thực hiện", "Progress"),
    "results.state.not_started": ("Chưa triển khai", "Not started"),
    "results.state.in_progress": ("Đang thực hiện", "In progress"),
    "results.state.done": ("Đã hoàn thành", "Done"),
    "results.state.blocked": ("Gặp vướng mắc", "Blocked"),
    "results.percent": ("Tỷ lệ hoàn thành (%)", "Percent done"),
    "results.product_target": ("Sản phẩm phải đạt", "Product to deliver"),
    "results.product_quantity": ("Sản phẩm đã đạt", "Product delivered so far"),
    "results.product": ("Sản phẩm", "Product"),
    "results.product_document": ("Văn bản, sản phẩm đã ban hành", "Document delivered"),
    "results.narrative": ("Kết quả thực hiện", "What was done"),
    "results.blocked_reason": ("Khó khăn, vướng mắc", "What blocks it"),
    "results.completed_on": ("Ngày hoàn thành", "Completed on"),
    "results.evidence": ("Minh chứng", "Evidence"),
    "results.evidence_url": ("Đường dẫn minh chứng", "Evidence link"),
    "results.evidence_name": ("Tên minh chứng", "Evidence name"),
    "results.evidence_file": ("Tệp minh chứng", "Evidence file"),
    "results.evidence_remove": ("Bỏ minh chứng này", "Remove this evidence"),
    "results.actual": ("Giá trị thực hiện", "Actual value"),
    "results.note": ("Ghi chú", "Note"),
    "results.baseline": ("năm gốc", "baseline"),
    "results.save": ("Lưu báo cáo", "Save the report"),
    "results.sign_off": ("Ký duyệt và gửi báo cáo", "Sign off and send the report"),
    "results.sign_off_help": (
        "Ký duyệt lưu nội dung trên rồi gửi báo cáo lên cấp trên; sau đó không sửa được nữa.",
        "Signing off saves what is above and sends the report up; then it can no longer change.",
    ),
    "results.drafter_help": (
        "Lưu báo cáo; lãnh đạo đơn vị ký duyệt và gửi lên cấp trên.",
        "Save the report; the head of the unit signs it off and sends it up.",
    ),
    "results.accept": ("Tiếp nhận báo cáo", "Accept the report"),
    "results.return": ("Trả lại để bổ sung", "Return it for changes"),
    "results.decision_comment": (
        "Ý kiến chung (khi trả lại: ý kiến chung hoặc ý kiến về nhiệm vụ)",
        "General comment (to return: this or a comment on a task)",
    ),
    "results.comment": ("Ý kiến", "Comment"),
    "results.reopen": ("Mở lại kỳ báo cáo", "Reopen a reporting period"),
    "results.reopen_help": (
        "Mở lại tạo phiên bản mới của báo cáo để đơn vị điều chỉnh; các phiên bản trước được giữ "
        "nguyên.",
        "Reopening makes a new version of the report for the unit to correct; earlier versions "
        "stay as they were.",
    ),
    "results.reopen_reason": ("Lý do mở lại", "Why it is reopened"),
    "results.reopen_button": ("Mở lại", "Reopen"),
    "results.review_title": ("Báo cáo chờ tiếp nhận", "Reports waiting for your decision"),
    "results.review_empty": (
        "Không có báo cáo nào của đơn vị cấp dưới đang chờ.",
        "No report of the units below is waiting.",
    ),
    "results.dashboard_title": ("Theo dõi kết quả thực hiện", "Results dashboard"),
    "results.as_of": ("tính đến", "as of"),
    "results.up": ("Về cấp trên", "Up one level"),
    "results.csv": ("Tải về CSV", "Download CSV"),
    "results.summary": ("Tổng hợp nhiệm vụ", "Tasks at a glance"),
    "results.units": ("Đơn vị cấp dưới", "Units below"),
    "results.no_units": (
        "Chưa có đơn vị cấp dưới nào có nhiệm vụ được theo dõi.",
        "No unit below has tracked tasks yet.",
    ),
    "results.status.completed_on_time": ("Hoàn thành đúng hạn", "Completed on time"),
    "results.status.completed_late": ("Hoàn thành quá hạn", "Completed late"),
    "results.status.in_progress": ("Chưa hoàn thành, trong hạn", "Not done, within deadline"),
    "results.status.overdue": ("Quá hạn", "Overdue"),
    "results.progress": ("Tiến độ bình quân", "Mean progress"),
    "results.report_status": ("Báo cáo kỳ", "Report for the period"),
    "results.score": ("Điểm", "Score"),
    "results.rank": ("Xếp hạng", "Rank"),
    "results.explain": ("Giải thích điểm", "Explain the score"),
    "results.chart": ("Tiến độ bình quân theo kỳ báo cáo", "Mean progress per reporting period"),
    "results.chart_empty": ("Chưa có báo cáo được gửi.", "No report sent yet."),
    "results.overdue_title": ("Nhiệm vụ quá hạn, trễ nhất trước", "Overdue tasks, latest first"),
    "results.no_overdue": ("Không có nhiệm vụ quá hạn.", "No overdue tasks."),
    "results.days_overdue": ("quá hạn {n} ngày", "{n} days overdue"),
    "results.attainment": ("Mức đạt", "Attainment"),
    "results.met": ("Đạt", "Met"),
    "results.not_met": ("Chưa đạt", "Not met"),
    "results.rolled_up": ("(tổng hợp từ {n} đơn vị)", "(rolled up from {n} units)"),
    "results.direction.higher_is_better": ("càng cao càng tốt", "higher is better"),
    "results.direction.lower_is_better": ("càng thấp càng tốt", "lower is better"),
    "results.evaluation_title": ("Giải thích điểm", "How the score is made"),
    "results.formula": ("công thức", "formula"),
    "results.formula_help": (
        "Điểm = tổng của (trọng số × giá trị × 100) các tiêu chí; mỗi tiêu chí kèm các bản ghi "
        "đã dùng để tính.",
        "Score = the sum of (weight × value × 100) over the terms; each term lists the records "
        "it was counted from.",
    ),
    "results.term": ("Tiêu chí", "Term"),
    "results.term.tasks_on_time": (
        "Tỷ lệ nhiệm vụ đến hạn hoàn thành đúng hạn",
        "Tasks due that were completed on time",
    ),
    "results.term.no_overdue": ("Không để nhiệm vụ quá hạn", "No overdue tasks"),
    "results.term.indicators": ("Mức đạt chỉ tiêu so với mục tiêu", "Indicators against target"),
    "results.term.reports_on_time": ("Báo cáo đúng hạn", "Reports sent on time"),
    "results.weight": ("Trọng số", "Weight"),
    "results.value": ("Giá trị", "Value"),
    "results.points": ("Điểm thành phần", "Points"),
    "results.points_short": ("điểm", "points"),
    "results.total": ("Tổng điểm", "Total"),
    "results.no_sources": ("Không có bản ghi nào phải tính trong kỳ.", "No record counts here."),
    "results.source.task": ("Nhiệm vụ", "Task"),
    "results.source.indicator": ("Chỉ tiêu", "Indicator"),
    "results.source.report": ("Báo cáo", "Report"),
    "results.publish": ("Công bố kết quả đánh giá", "Publish the evaluation"),
    "results.publish_help": (
        "Công bố ghi lại điểm của kỳ này và thông báo cho đơn vị.",
        "Publishing keeps this period's score on record and tells the unit.",
    ),
    "results.done.saved": ("Đã lưu báo cáo", "The report is saved"),
    "results.done.imported": (
        "Đã nhập báo cáo từ tệp Excel",
        "The report is filled in from the Excel file",
    ),
    "results.done.evidence": ("Đã đính kèm tệp minh chứng", "The evidence file is attached"),
    "results.export_xlsx": ("Tải về Excel (mẫu báo cáo)", "Download Excel (report form)"),
    "results.print": ("Bản in báo cáo", "Printable report"),
    "results.import_title": ("Nhập từ tệp Excel", "Fill in from an Excel file"),
    "results.import_file": (
        "Tệp Excel của báo cáo này, đã điền",
        "This report's Excel file, filled in",
    ),
    "results.import_button": ("Nhập báo cáo", "Import"),
    "results.import_help": (
        "Tải tệp Excel về, điền trong Excel rồi nhập lại: mọi dòng được kiểm tra, có lỗi thì "
        "không dòng nào được nhập.",
        "Download the Excel file, fill it in and import it back: every row is checked, and "
        "with an error nothing is imported.",
    ),
    "results.evidence_upload": (
        "Tệp minh chứng (PDF, ảnh, Word, Excel; tối đa 5 MB)",
        "Evidence file (PDF, image, Word, Excel; 5 MB at most)",
    ),
    "results.upload_button": ("Tải lên", "Upload"),
    "results.done.signed": (
        "Đã ký duyệt và gửi báo cáo lên cấp trên",
        "The report is signed off and sent up",
    ),
    "results.done.decided": ("Đã ghi nhận quyết định", "The decision is recorded"),
    "results.done.reopened": (
        "Đã mở lại kỳ báo cáo: phiên bản mới đang chờ đơn vị điều chỉnh",
        "The period is reopened: a new version waits for the unit's corrections",
    ),
    "results.done.published": ("Đã công bố kết quả đánh giá", "The evaluation is published"),
    # errors
    "error.title": ("Không thực hiện được", "That did not work"),
    "error.forbidden": (
        "Bạn không có quyền xem hoặc thao tác nội dung này.",
        "You are not allowed to see or do this.",
    ),
    "error.not_found": ("Không tìm thấy nội dung.", "Not found."),
    "error.conflict": (
        "Nội dung đã thay đổi hoặc đã được xử lý.",
        "It changed or was done already.",
    ),
    "error.invalid": ("Dữ liệu chưa hợp lệ.", "Some input is not valid."),
    "error.unavailable": ("Dịch vụ tạm thời không phản hồi.", "A service did not answer."),
    "error.back": ("Quay lại trang chính", "Back to the home page"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    "common.actions": ("Thao tác", "Actions"),
}

# The API's reasons (English), translated where we know them; anything else is shown raw.
REASONS_VI: dict[str, str] = {
    "only a return approves some task groups and returns the others": (
        "chỉ khi trả lại mới phê duyệt được một phần nhóm nhiệm vụ"
    ),
    "every task group would stand approved: approve the plan instead": (
        "tất cả các nhóm đều được chọn: đề nghị phê duyệt toàn bộ kế hoạch"
    ),
    "describe the job concretely (at least 3 words)": "mô tả công việc cụ thể (ít nhất 3 từ)",
    "the job names only a generic activity; say what is done to what or for whom, and where: "
    "add the object, the place and the people concerned": (
        "nhiệm vụ chỉ nêu hoạt động chung chung; ghi rõ làm gì, với đối tượng nào, ở đâu: thêm "
        "đối tượng, địa bàn và những người, đơn vị liên quan"
    ),
    "name the responsible official": "ghi rõ cán bộ chịu trách nhiệm",
    "name exactly one lead unit": "ghi đúng một đơn vị chủ trì",
    "the lead unit cannot also be a cooperating unit": (
        "đơn vị chủ trì không thể đồng thời là đơn vị phối hợp"
    ),
    "give both a start date and a deadline": "ghi cả ngày bắt đầu và thời hạn",
    "the deadline is before the start": "thời hạn trước ngày bắt đầu",
    "give at least one milestone by month or quarter": "ghi ít nhất một mốc theo tháng hoặc quý",
    "describe the product: a quantity with its unit, or a named document": (
        "mô tả sản phẩm: số lượng kèm đơn vị tính, hoặc tên văn bản"
    ),
    "a product quantity needs its unit": "số lượng sản phẩm cần có đơn vị tính",
    "the plan has no tasks": "kế hoạch chưa có nhiệm vụ nào",
    "a comment is required": "cần ghi ý kiến",
    "required to return": "bắt buộc khi trả lại: ghi ý kiến chung hoặc ý kiến về nhiệm vụ",
    "required to reject": "bắt buộc khi từ chối: ghi lý do",
}


def translate(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang``; the key itself if the catalogue lacks it."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: translate(key, lang)


def pick_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def reason_in(reason: str, lang: str) -> str:
    """An API reason in ``lang`` where the portal knows it, raw otherwise."""
    if lang == "vi":
        return REASONS_VI.get(reason, reason)
    return reason
