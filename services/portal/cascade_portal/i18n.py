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
        "Kế hoạch chưa được trình: hãy sửa các lỗi ghi cạnh từng nhiệm vụ.",
        "The plan was not submitted: fix the errors shown beside each task.",
    ),
    "plan.submit": ("Trình duyệt", "Submit for approval"),
    "plan.ack": ("Tôi đã đọc các cảnh báo", "I have read the warnings"),
    "plan.submitted": ("Đã trình phiên bản", "Submitted version"),
    "plan.import": ("Nhập từ tệp XLSX", "Import from an XLSX file"),
    "plan.import_file": ("Tệp XLSX hoặc CSV", "XLSX or CSV file"),
    "plan.import_button": ("Nhập", "Import"),
    "plan.imported": ("Đã nhập", "Imported"),
    "plan.export": ("Tải về XLSX", "Download XLSX"),
    "plan.export_docx": ("Bản in DOCX", "Printable DOCX"),
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
    "comment.open": ("Chưa giải quyết", "Open"),
    "comment.resolved": ("Đã giải quyết", "Resolved"),
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
        "Mốc tiến độ (mỗi dòng: 2026-Q2: mô tả)",
        "Milestones (one a line: 2026-Q2: description)",
    ),
    "task.milestones_short": ("Mốc tiến độ", "Milestones"),
    "task.product_description": ("Sản phẩm", "Product"),
    "task.product_quantity": ("Số lượng", "Quantity"),
    "task.product_unit": ("Đơn vị tính", "Unit of measure"),
    "indicator.code": ("Mã", "Code"),
    "indicator.name": ("Chỉ tiêu", "Indicator"),
    "indicator.target": ("Mục tiêu", "Target"),
    "indicator.year": ("Năm", "Year"),
    # 5 clear
    "element.job": ("Chưa rõ việc", "Job not clear"),
    "element.person": ("Chưa rõ người", "Person not clear"),
    "element.responsibility": ("Chưa rõ trách nhiệm", "Responsibility not clear"),
    "element.timeline": ("Chưa rõ thời gian", "Timeline not clear"),
    "element.product": ("Chưa rõ sản phẩm", "Product not clear"),
    "finding.coverage": ("Chưa bao phủ", "Not covered"),
    "finding.mechanical-copy": ("Sao chép máy móc", "Mechanical copy"),
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
    "decision.comment": (
        "Ý kiến chung (khi trả lại hoặc từ chối: ý kiến chung hoặc ý kiến về nhiệm vụ)",
        "General comment (to return or reject: this or a comment on a task)",
    ),
    "decision.task_comment": ("Ý kiến về nhiệm vụ này", "Comment on this task"),
    "decision.send": ("Gửi quyết định", "Send the decision"),
    "decision.done": ("Đã ghi nhận quyết định", "The decision is recorded"),
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
    "kind.plan.returned": ("Kế hoạch bị trả lại", "Plan returned"),
    "kind.plan.rejected": ("Kế hoạch bị từ chối", "Plan rejected"),
    "kind.plan.withdrawn": ("Kế hoạch được rút lại", "Plan withdrawn"),
    "kind.plan.to_concretize": (
        "Cấp trên có kế hoạch cần cụ thể hóa",
        "A plan above to concretize",
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
    "audit.plan": ("Mã kế hoạch", "Plan id"),
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
    "audit.seq": ("STT", "Seq"),
    "audit.time": ("Thời điểm", "Time"),
    "audit.next": ("Trang sau", "Next page"),
    "audit.empty": ("Không có bản ghi phù hợp.", "No matching records."),
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
    "describe the job concretely (at least 3 words)": "mô tả công việc cụ thể (ít nhất 3 từ)",
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
