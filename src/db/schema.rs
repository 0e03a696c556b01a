// @generated shape: keep in step with migrations/ (checked by db::schema_check tests).

diesel::table! {
    messages (session_id, seq) {
        session_id -> Text,
        seq -> BigInt,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
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
    }
}

diesel::joinable!(messages -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(messages, sessions);
