//! The Table port contract: every case runs against the embedded adapter and against DynamoDB
//! (moto). `scripts/test.sh` counts the cases of each module and checks the counts are equal.

mod cases;

on_both_adapters!(cases:
    put_and_get_round_trip_every_json_type,
    queried_items_decode_straight_into_types_as_their_items_do,
    put_if_absent_refuses_an_existing_item,
    delete_is_conditional_and_returns_the_old_item,
    stale_version_updates_are_refused,
    update_upserts_and_returns_the_new_item,
    attribute_conditions_equals_in_and_missing,
    either_condition_and_an_expiry_that_has_passed,
    an_expiry_still_ahead,
    every_sort_key_condition_on_the_main_table,
    every_sort_key_condition_on_a_gsi,
    gsi_membership_follows_the_item,
    queries_read_both_directions,
    pagination_visits_every_item_once_in_order,
    tampered_or_foreign_cursors_are_refused,
    transactions_fail_as_a_whole_and_name_the_item,
    transactions_apply_every_operation,
    transactions_refuse_one_item_twice,
    counters_lose_no_increment_under_concurrency,
    batch_get_returns_what_exists,
    tenant_handle_refuses_foreign_keys,
    change_feed_records_each_write,
    oversized_items_are_refused,
    batch_writes_put_and_delete_many,
    tenant_items_are_indexed_for_export,
);
