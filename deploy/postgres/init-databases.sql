-- Cascade, distributed mode: one PostgreSQL database per service, all owned by role cascade.
--
-- Run by the postgres image on first start (mounted into /docker-entrypoint-initdb.d, executed
-- with psql as the superuser). Without Docker, run it once against a local server:
--   psql -U postgres -v ON_ERROR_STOP=1 -f deploy/postgres/init-databases.sql
-- It is idempotent: existing role and databases are left as they are.
-- CREATE DATABASE cannot run inside a DO block or a transaction, hence psql's \gexec.

\set ON_ERROR_STOP on

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cascade') THEN
        CREATE ROLE cascade LOGIN PASSWORD 'cascade';
    END IF;
END
$$;

SELECT 'CREATE DATABASE cascade_plans OWNER cascade'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cascade_plans')\gexec

SELECT 'CREATE DATABASE cascade_approvals OWNER cascade'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cascade_approvals')\gexec

SELECT 'CREATE DATABASE cascade_notifications OWNER cascade'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cascade_notifications')\gexec

SELECT 'CREATE DATABASE cascade_results OWNER cascade'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cascade_results')\gexec

SELECT 'CREATE DATABASE cascade_audit OWNER cascade'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cascade_audit')\gexec

-- Since PostgreSQL 15 the public schema belongs to pg_database_owner, so cascade, owning each
-- database, may create its tables there; only cascade (and superusers) may connect.
REVOKE ALL ON DATABASE cascade_plans, cascade_approvals, cascade_notifications, cascade_results, cascade_audit FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE cascade_plans, cascade_approvals, cascade_notifications, cascade_results, cascade_audit TO cascade;
