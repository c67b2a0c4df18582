"""Background workers of the notifications service: the sender of e-mails and webhook calls
(``sending``), the daily digest (``digest``) and the announcement fan-out (``fanout``). Each keeps
its schedule in the database and is safe with two replicas."""

from cascade_notifications.workers.digest import digest_maker
from cascade_notifications.workers.fanout import announcement_fanout
from cascade_notifications.workers.sending import delivery_sender

WORKERS = [delivery_sender, digest_maker, announcement_fanout]
