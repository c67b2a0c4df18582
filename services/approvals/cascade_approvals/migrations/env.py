from cascade_approvals.models import metadata
from cascade_shared.migrations import run_env

run_env(metadata, "approvals")
