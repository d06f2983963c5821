-- warroom demo: a shop whose 14:02 deploy (v2.31.0) started writing users without
-- emails, and duplicates of existing ones. Loaded by `warroom demo` as a superuser.

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'refunded', 'cancelled');
CREATE DOMAIN email_address AS text CHECK (VALUE IS NULL OR VALUE LIKE '%@%');
CREATE TYPE postal_address AS (street text, city text, zip text);

CREATE TABLE deploys (
    id          serial PRIMARY KEY,
    version     text NOT NULL,
    deployed_at timestamptz NOT NULL,
    deploy_window tstzrange,
    notes       text
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    public_id     uuid NOT NULL DEFAULT md5(random()::text)::uuid,
    email         email_address,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_login_ip inet,
    address       postal_address,
    tags          text[] NOT NULL DEFAULT '{}',
    preferences   jsonb NOT NULL DEFAULT '{}',
    avatar        bytea
);

CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    total      numeric(12, 2) NOT NULL,
    fee        money NOT NULL DEFAULT 0,
    status     order_status NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL,
    fulfilled_in interval
);
CREATE INDEX orders_user_id ON orders(user_id);

CREATE TABLE sessions_audit (
    id         bigserial PRIMARY KEY,
    user_id    bigint REFERENCES users(id),
    network    cidr,
    seen_at    timestamptz NOT NULL
);

INSERT INTO deploys (version, deployed_at, deploy_window, notes) VALUES
  ('v2.30.4', '2026-11-20 09:15:00+00', '[2026-11-20 09:10:00+00,2026-11-20 09:20:00+00)', 'routine'),
  ('v2.31.0', '2026-11-21 14:02:00+00', '[2026-11-21 14:00:00+00,2026-11-21 14:05:00+00)', 'new signup flow (email optional?)');

-- Before the deploy: clean users.
INSERT INTO users (email, name, created_at, last_login_ip, address, tags, preferences, avatar)
SELECT 'user' || g || '@example.com',
       'User ' || g,
       '2026-11-01 00:00:00+00'::timestamptz + (g || ' minutes')::interval * 13,
       ('10.0.' || (g % 250) || '.' || (g % 200 + 1))::inet,
       ROW(g || ' Main St', CASE WHEN g % 2 = 0 THEN 'Lisbon' ELSE 'Oslo' END, lpad(g::text, 5, '0'))::postal_address,
       CASE WHEN g % 10 = 0 THEN ARRAY['vip', 'beta'] ELSE ARRAY['customer'] END,
       jsonb_build_object('newsletter', g % 3 = 0, 'locale', CASE WHEN g % 2 = 0 THEN 'pt-PT' ELSE 'nb-NO' END),
       CASE WHEN g % 50 = 0 THEN '\x89504e47'::bytea END
FROM generate_series(1, 2000) g;

-- After the deploy: every third signup has no email, some reuse an existing one.
INSERT INTO users (email, name, created_at, last_login_ip, preferences)
SELECT CASE WHEN g % 3 = 0 THEN NULL
            WHEN g % 5 = 0 THEN 'User' || (g * 7 % 2000 + 1) || '@Example.com'
            ELSE 'new' || g || '@example.com' END,
       'Signup ' || g,
       '2026-11-21 14:02:30+00'::timestamptz + (g || ' seconds')::interval * 9,
       ('192.0.2.' || (g % 250 + 1))::inet,
       '{"signup_flow": "v2"}'
FROM generate_series(1, 300) g;

INSERT INTO orders (user_id, total, fee, status, created_at, fulfilled_in)
SELECT (g * 37 % 2300) + 1,
       round((g % 500) * 1.37 + 4.99, 2),
       ((g % 7) * 0.25)::numeric::money,
       (ARRAY['pending', 'paid', 'shipped', 'refunded', 'cancelled'])[g % 5 + 1]::order_status,
       '2026-11-01 00:00:00+00'::timestamptz + (g || ' minutes')::interval * 4,
       CASE WHEN g % 5 = 2 THEN ((g % 72) || ' hours ' || (g % 60) || ' minutes')::interval END
FROM generate_series(1, 5000) g;

INSERT INTO sessions_audit (user_id, network, seen_at)
SELECT (g % 2300) + 1, ('10.' || (g % 200) || '.0.0/16')::cidr, now() - (g || ' minutes')::interval
FROM generate_series(1, 500) g;

ANALYZE;

-- The role warroom connects as: it can read, nothing else (what `warroom doctor` recommends).
-- PostgreSQL 15's default on every server: no role creates objects in public unless granted.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE ROLE warroom_ro LOGIN;
GRANT CONNECT ON DATABASE shop TO warroom_ro;
GRANT USAGE ON SCHEMA public TO warroom_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO warroom_ro;
GRANT pg_monitor TO warroom_ro;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO warroom_ro;
ALTER ROLE warroom_ro SET default_transaction_read_only = on;
ALTER ROLE warroom_ro SET statement_timeout = '30s';
ALTER ROLE warroom_ro SET lock_timeout = '2s';
ALTER ROLE warroom_ro SET idle_in_transaction_session_timeout = '60s';
