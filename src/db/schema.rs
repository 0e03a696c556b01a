// @generated shape: keep in step with migrations/ (checked by db::schema_check tests).

diesel::table! {
    messages (session_id, seq) {
        session_id -> Text,
        seq -> BigInt,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
        cli_uuid -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (session_id) {
        session_id -> Text,
        user_id -> Text,
        status -> Text,
        created_at -> Timestamp,
        last_active_at -> Timestamp,
        subprocess_pid -> Nullable<Integer>,
        message_count -> Integer,
        total_cost_usd -> Double,
        is_resumable -> Bool,
        terminated_reason -> Nullable<Text>,
        model -> Text,
        effort -> Nullable<Text>,
        permission_mode -> Text,
        project -> Nullable<Text>,
        workdir -> Nullable<Text>,
        isolation -> Nullable<Text>,
        branch -> Nullable<Text>,
        base_commit -> Nullable<Text>,
    }
}

diesel::table! {
    session_details (session_id) {
        session_id -> Text,
        title -> Nullable<Text>,
        preview -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        forked_from -> Nullable<Text>,
        fork_point -> Nullable<Text>,
    }
}

// The full-text index's stable key per message; the FTS5 table itself (`messages_fts`) is
// queried with SQL in src/db/search.rs, not through Diesel.
diesel::table! {
    message_search (search_id) {
        search_id -> Integer,
        session_id -> Text,
        seq -> BigInt,
    }
}

diesel::joinable!(messages -> sessions (session_id));
diesel::joinable!(session_details -> sessions (session_id));

diesel::table! {
    users (user_id) {
        user_id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        disabled -> Bool,
        max_sessions -> Nullable<Integer>,
        daily_spend_limit_usd -> Nullable<Double>,
    }
}

diesel::table! {
    api_keys (key_id) {
        key_id -> Text,
        user_id -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    daily_spend (user_id, day) {
        user_id -> Text,
        day -> Text,
        cost_usd -> Double,
    }
}

diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(daily_spend -> users (user_id));

// "Allow for this session" rules (src/db/rules.rs).
diesel::table! {
    session_rules (session_id, rule) {
        session_id -> Text,
        rule -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(session_rules -> sessions (session_id));

// Replica mode (src/db/cluster.rs): the replicas, who runs each session, its transcript.
diesel::table! {
    nodes (node_id) {
        node_id -> Text,
        url -> Text,
        started_at -> Timestamp,
        heartbeat_at -> Timestamp,
        draining -> Bool,
        live_sessions -> Integer,
        max_sessions -> Integer,
        pool_ready -> Integer,
        workspace_nonce -> Text,
    }
}

diesel::table! {
    session_leases (session_id) {
        session_id -> Text,
        node_id -> Text,
        expires_at -> Timestamp,
        epoch -> BigInt,
    }
}

diesel::table! {
    session_transcripts (session_id, start_offset) {
        session_id -> Text,
        start_offset -> BigInt,
        data -> Binary,
    }
}

diesel::joinable!(session_leases -> sessions (session_id));
diesel::joinable!(session_transcripts -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    messages,
    sessions,
    session_details,
    message_search,
    users,
    api_keys,
    daily_spend,
    session_rules,
    nodes,
    session_leases,
    session_transcripts
);
