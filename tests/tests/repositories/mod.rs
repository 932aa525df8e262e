//! The repositories per aggregate, the same cases on each adapter.

pub(crate) mod build;
mod cases;

on_both_adapters!(cases:
    organizations_claim_unique_slugs_and_list,
    users_claim_emails_and_keep_membership_in_step,
    clients_track_seller_assignments_and_filter,
    campaigns_keep_team_and_history_with_their_record,
    campaign_updates_never_change_status_or_lose_writes,
    campaign_show_links_follow_targeting_and_drafts_delete_whole,
    reader_entries_follow_teams_clients_shows_and_dates,
    a_page_of_entities_is_judged_as_each_one_alone,
    client_with_committed_campaigns_is_detected,
    shows_track_producers_and_talent,
    episodes_keep_talent_schedules_current,
    episode_reader_entries_follow_talent_hosts_and_air_dates,
    availability_is_replaced_as_a_set,
    notifications_list_newest_first_and_track_unread,
    activity_is_listed_by_entity_actor_and_timeline,
    backups_are_listed_newest_first_and_deleted_by_version,
    connections_fan_out_by_topic_and_close_whole,
    holds_take_free_spots_all_or_nothing_and_never_twice,
    a_hold_larger_than_a_transaction_is_still_all_or_nothing,
    competitors_racing_for_one_episode_get_one_hold,
    released_and_extended_holds_move_their_spots_and_category,
    order_numbers_are_never_given_twice_nor_skipped,
    an_order_of_250_lines_books_all_or_nothing,
    a_booking_racing_a_holds_expiry_never_leaves_a_spot_held_and_booked,
    an_episode_change_drops_no_sold_spot_and_cancelling_owes_the_booked_ones,
    host_reads_are_made_once_per_line_and_found_by_campaign_talent_episode_and_notice,
    delivery_rollups_are_read_with_their_shards_summed,
    webhook_endpoints_are_counted_to_twenty_listed_and_versioned,
    webhook_deliveries_are_made_once_listed_newest_first_and_found_when_due,
    fifty_concurrent_issues_take_numbers_one_to_fifty_and_no_line_is_billed_twice,
);
