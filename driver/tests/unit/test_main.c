/* test_main.c - the unit test table. `unit [filter]` runs the tests whose
 * name contains filter. */
#include "harness.h"

#define TESTS(X)                                              \
    X(test_list_push_pop_splice)                              \
    X(test_sort_u64_orders_any_input)                         \
    X(test_min_align)                                         \
    X(test_upcase16_ranges)                                   \
    X(test_config_accepts_canonical_and_counts_generation)    \
    X(test_config_size_classes)                               \
    X(test_config_trailing_pool_bytes_are_legal)              \
    X(test_config_bad_magic)                                  \
    X(test_config_header_ranges)                              \
    X(test_config_verdict_mask_must_be_subset)                \
    X(test_config_tables_must_fit)                            \
    X(test_config_prefix_ranges)                              \
    X(test_config_volume_map_ranges)                          \
    X(test_config_prefix_too_long)                            \
    X(test_config_overlapping_strings)                        \
    X(test_config_state_and_caller)                           \
    X(test_config_rejected_keeps_previous)                    \
    X(test_config_maximum_tables)                             \
    X(test_match_op_mask)                                     \
    X(test_keyname_separators_collapse)                       \
    X(test_keyname_relative_joins_root)                       \
    X(test_keyname_bounds_and_aliasing)                       \
    X(test_keyname_evasion_spellings_are_judged)              \
    X(test_match_self_and_kernel_and_pids)                    \
    X(test_match_excluded_pid_reused_by_new_process)          \
    X(test_match_include_exclude_semantics)                   \
    X(test_match_case_insensitive_including_non_ascii)        \
    X(test_match_longest_include_decides_verdict)             \
    X(test_match_duplicate_includes_first_wins)               \
    X(test_match_cheap_first_ordering)                        \
    X(test_match_wide_fanout)                                 \
    X(test_pattern_suffix_and_contains_on_key_path)           \
    X(test_pattern_image_include_and_exclude)                 \
    X(test_pattern_image_anchored_on_mapped_and_unmapped)     \
    X(test_pattern_exact_on_key_path_and_full_name)           \
    X(test_subject_details_render_like_sysmon)                \
    X(test_subject_long_text_is_matched_through_the_raise_path) \
    X(test_subject_data_include_exclude_unknown)              \
    X(test_subject_new_name_spans_parent_and_leaf)            \
    X(test_subject_verdict_include_is_asked_when_the_path_included) \
    X(test_subject_entries_validated)                         \
    X(test_pattern_full_name_spans_key_and_value)             \
    X(test_pattern_exclude_wins_over_prefix_and_pattern)      \
    X(test_pattern_verdict_joins_longest_prefix)              \
    X(test_pattern_full_name_prefix_joins_the_trie)           \
    X(test_pattern_automaton_matches_naive_definition)        \
    X(test_pattern_bounds_are_enforced)                       \
    X(test_pattern_raise_uses_value_name)                     \
    X(test_group_table_validation)                            \
    X(test_group_bounds)                                      \
    X(test_group_clauses_or_members_and)                      \
    X(test_group_image_true_unknown_false)                    \
    X(test_group_subject_true_unknown_false)                  \
    X(test_group_verdict_timeout_and_fail_mode)               \
    X(test_group_exclude_wins_and_exclude_only)               \
    X(test_group_image_lookup_only_when_it_can_decide)        \
    X(test_group_without_path_clause)                         \
    X(test_group_sigma_autologger_rule)                       \
    X(test_event_layout_and_string_order)                     \
    X(test_event_data_cap_and_flags)                          \
    X(test_event_name_caps_and_surrogates)                    \
    X(test_event_sequence_gaps_show_drops)                    \
    X(test_get_events_buffer_limits_and_state)                \
    X(test_get_events_parks_then_completes_on_raise)          \
    X(test_get_events_batches_whole_events)                   \
    X(test_get_events_quota)                                  \
    X(test_cancel_parked_request)                             \
    X(test_cancel_before_arm)                                 \
    X(test_claim_failure_leaves_request_to_cancel)            \
    X(test_backlog_bounds_count_drops)                        \
    X(test_verdict_accepted_block_and_allow)                  \
    X(test_verdict_unknown_late_duplicate)                    \
    X(test_verdict_timeout_fail_closed_then_late)             \
    X(test_verdict_prefix_overrides_timeout_and_fail_mode)    \
    X(test_verdict_waits_when_nothing_parked)                 \
    X(test_verdict_backlog_reserved_then_fail_mode)           \
    X(test_verdict_name_failure_drops_and_fails_closed)       \
    X(test_lockdown_blocks_only_user_writes_on_protected_keys) \
    X(test_lockdown_exempts_kernel_and_system_callers)        \
    X(test_lockdown_exempts_the_service_control_path)         \
    X(test_lockdown_prefix_list_validation)                   \
    X(test_verdict_no_client_applies_param_default)           \
    X(test_verdict_close_releases_waiters_with_default)       \
    X(test_verdict_destroy_releases_waiters)                  \
    X(test_reply_validation)                                  \
    X(test_verdict_many_waiters_one_reply)                    \
    X(test_verdict_disconnect_while_resolving)                \
    X(test_open_is_exclusive_and_reopens_after_close)         \
    X(test_hello_validation_and_reply)                        \
    X(test_close_discards_backlog_and_configuration)          \
    X(test_stats_buffer_and_invariant)                        \
    X(test_destroy_waits_for_running_cancel)                   \
    X(test_identity_not_resolved_for_filtered_operations)      \
    X(test_identity_hook_fills_delivered_event_once_outside_the_lock) \
    X(test_identity_image_entries_resolve_once_and_fail_open) \
    X(test_identity_eager_strings_win_over_the_hook)           \
    X(test_identity_failing_hook_yields_empty_fields)          \
    X(test_identity_caps_and_truncation)                       \
    X(test_identity_released_when_the_event_is_dropped)

#define DECLARE(name) int name(void);
#define ENTRY(name) { #name, name },
TESTS(DECLARE)

static const hg_test k_tests[] = { TESTS(ENTRY) };

int main(int argc, char **argv)
{
    return hg_run_tests(k_tests, sizeof k_tests / sizeof k_tests[0], argc > 1 ? argv[1] : NULL);
}
