package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Subscription.Match;
import dev.hiveguard.model.Subscription.Member;
import dev.hiveguard.model.Subscription.Target;
import dev.hiveguard.model.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The twin's AND groups, rule by rule of hiveguard_wire.h "AND groups": member TRUE / FALSE /
 * UNKNOWN, clause OR, group AND, INCLUDE on "no clause FALSE", EXCLUDE only on "all TRUE",
 * exclude wins, an INCLUDE group as a verdict candidate with its own timeout and fail mode,
 * INCLUDE groups (not members) counting for "no INCLUDE at all".
 */
class SubscriptionMatcherGroupsTest {

    private static final int SET = Operation.SET_VALUE.bit();
    private static final String AUTOLOGGER = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\WMI\\Autologger\\EventLog-System";
    private static final String SERVICES = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Foo";
    private static final String SVCHOST_NT = "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe";
    private static final String ZERO = "DWORD (0x00000000)";

    private static final Member IN_AUTOLOGGER = new Member(Match.CONTAINS, Target.KEY_PATH, "\\Control\\WMI\\Autologger\\");
    private static final Member START = new Member(Match.SUFFIX, Target.FULL_NAME, "\\Start");
    private static final Member ENABLED = new Member(Match.SUFFIX, Target.FULL_NAME, "\\Enabled");
    private static final Member DATA_ZERO = new Member(Match.CONTAINS, Target.DATA, ZERO);
    private static final Member SVCHOST = new Member(Match.EXACT, Target.IMAGE, "C:\\Windows\\System32\\svchost.exe");
    private static final Member SVCHOST_NAME = new Member(Match.SUFFIX, Target.IMAGE, "\\svchost.exe");
    private static final Member UNDER_SERVICES = new Member(Match.PREFIX, Target.KEY_PATH,
            "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\");

    private static Subscription.Group include(boolean verdict, int timeoutMs, FailMode fail, List<List<Member>> clauses) {
        return new Subscription.Group(true, SET, verdict, timeoutMs, fail, clauses);
    }

    private static Subscription.Group exclude(List<List<Member>> clauses) {
        return new Subscription.Group(false, SET, false, 0, FailMode.INHERIT, clauses);
    }

    private static final Subscription.Group AUTOLOGGER_OFF = include(true, 0, FailMode.INHERIT,
            List.of(List.of(IN_AUTOLOGGER), List.of(START, ENABLED), List.of(DATA_ZERO)));

    private static Subscription sub(List<Subscription.Prefix> prefixes, Subscription.Group... groups) {
        return new Subscription(SET | Operation.DELETE_KEY.bit(), SET, false, 250, FailMode.OPEN, Verdict.ALLOW, 4096,
                4096, prefixes, List.of(), ImagePaths.SIMULATED_VOLUMES, List.of(groups));
    }

    private static SubscriptionMatcher.Match set(Subscription s, String key, String value, String image, String data) {
        return SubscriptionMatcher.match(s, Operation.SET_VALUE, key, value, image, data, 100, false);
    }

    @Test
    void anIncludeGroupNeedsEveryClauseAndOneMemberOfEach() {
        Subscription s = sub(List.of(), AUTOLOGGER_OFF);
        assertTrue(set(s, AUTOLOGGER, "Start", SVCHOST_NT, ZERO).delivered(), "all clauses TRUE");
        assertTrue(set(s, AUTOLOGGER, "Enabled", SVCHOST_NT, ZERO).delivered(), "the clause's other member");
        assertFalse(set(s, AUTOLOGGER, "Start", SVCHOST_NT, "DWORD (0x00000001)").delivered(), "data clause FALSE");
        assertFalse(set(s, AUTOLOGGER, "MaxFileSize", SVCHOST_NT, ZERO).delivered(), "name clause FALSE");
        assertFalse(set(s, SERVICES, "Start", SVCHOST_NT, ZERO).delivered(), "path clause FALSE");
    }

    @Test
    void anUnknownSubjectMakesADataMemberUnknownAndAnIncludeGroupMatch() {
        Subscription s = sub(List.of(), AUTOLOGGER_OFF);
        SubscriptionMatcher.Match m = set(s, AUTOLOGGER, "Start", SVCHOST_NT, null);
        assertTrue(m.delivered(), "UNKNOWN clause: the group could match, never hidden");
        assertTrue(m.wantsVerdict());
        assertFalse(set(s, SERVICES, "Start", SVCHOST_NT, null).delivered(), "a FALSE clause still decides");
    }

    @Test
    void anExcludeGroupHidesOnlyWhatEveryClauseProves() {
        Subscription.Prefix everything = new Subscription.Prefix(true, "\\", SET, false, 0, FailMode.INHERIT);
        Subscription s = sub(List.of(everything), exclude(List.of(List.of(SVCHOST), List.of(UNDER_SERVICES))));
        assertFalse(set(s, SERVICES, "Start", SVCHOST_NT, ZERO).delivered(), "svchost under Services: excluded");
        assertTrue(set(s, AUTOLOGGER, "Start", SVCHOST_NT, ZERO).delivered(), "a FALSE clause: not excluded");
        assertTrue(set(s, SERVICES, "Start", "", ZERO).delivered(), "image unknown: UNKNOWN, not excluded");
        assertTrue(set(s.withVolumes(List.of()), SERVICES, "Start", SVCHOST_NT, ZERO).delivered(),
                "unmapped image: an anchored member is UNKNOWN, not excluded");
        Subscription byName = sub(List.of(everything), exclude(List.of(List.of(SVCHOST_NAME), List.of(UNDER_SERVICES))));
        assertFalse(set(byName.withVolumes(List.of()), SERVICES, "Start", SVCHOST_NT, ZERO).delivered(),
                "a suffix member is decided on the unmapped image too");
    }

    @Test
    void excludeWinsOverAnIncludeGroup() {
        Subscription s = sub(List.of(new Subscription.Prefix(false, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\",
                SET, false, 0, FailMode.INHERIT)), AUTOLOGGER_OFF);
        assertFalse(set(s, AUTOLOGGER, "Start", SVCHOST_NT, ZERO).delivered());
        Subscription g = sub(List.of(), AUTOLOGGER_OFF, exclude(List.of(List.of(IN_AUTOLOGGER))));
        assertFalse(set(g, AUTOLOGGER, "Start", SVCHOST_NT, ZERO).delivered());
    }

    @Test
    void aMatchingIncludeGroupIsAVerdictCandidateWithItsOwnTimeoutAndFailMode() {
        Subscription.Group slowClosed = include(true, 5_000, FailMode.CLOSED, List.of(List.of(IN_AUTOLOGGER), List.of(START)));
        Subscription.Group quiet = include(false, 0, FailMode.INHERIT, List.of(List.of(IN_AUTOLOGGER), List.of(ENABLED)));
        Subscription s = sub(List.of(), slowClosed, quiet);
        SubscriptionMatcher.Match m = set(s, AUTOLOGGER, "Start", SVCHOST_NT, ZERO);
        assertTrue(m.wantsVerdict());
        assertEquals(5_000, m.timeoutMs());
        assertEquals(FailMode.CLOSED, m.failMode());
        SubscriptionMatcher.Match n = set(s, AUTOLOGGER, "Enabled", SVCHOST_NT, ZERO);
        assertTrue(n.delivered());
        assertFalse(n.wantsVerdict(), "a group without the verdict flag delivers without waiting");
        // An entry with a shorter timeout next to it: the longest wins, closed wins.
        Subscription both = sub(List.of(new Subscription.Prefix(true, "\\REGISTRY\\", SET, true, 100, FailMode.OPEN)),
                slowClosed);
        SubscriptionMatcher.Match b = set(both, AUTOLOGGER, "Start", SVCHOST_NT, ZERO);
        assertEquals(5_000, b.timeoutMs());
        assertEquals(FailMode.CLOSED, b.failMode());
    }

    @Test
    void includeGroupsCountForNoIncludeAtAllMembersOfExcludeGroupsDoNot() {
        Subscription onlyInclude = sub(List.of(), AUTOLOGGER_OFF);
        assertFalse(SubscriptionMatcher.match(onlyInclude, Operation.DELETE_KEY, SERVICES, "", SVCHOST_NT, null, 100,
                false).delivered(), "an INCLUDE group is an include: other classes are not delivered whole");
        Subscription onlyExclude = sub(List.of(), exclude(List.of(List.of(SVCHOST), List.of(UNDER_SERVICES))));
        assertTrue(SubscriptionMatcher.match(onlyExclude, Operation.DELETE_KEY, SERVICES, "", SVCHOST_NT, null, 100,
                false).delivered(), "no INCLUDE at all: every operation of op_mask is included");
        assertTrue(set(onlyExclude, AUTOLOGGER, "Start", SVCHOST_NT, ZERO).wantsVerdict(),
                "no INCLUDE: verdict classes wait");
    }

    @Test
    void theMemberRuleDirectly() {
        SubscriptionMatcher.ImageForm mapped = SubscriptionMatcher.imageForm(ImagePaths.SIMULATED_VOLUMES, SVCHOST_NT);
        SubscriptionMatcher.ImageForm unmapped = SubscriptionMatcher.imageForm(List.of(), SVCHOST_NT);
        String full = SERVICES + "\\Start";
        assertEquals(SubscriptionMatcher.Truth.TRUE, SubscriptionMatcher.member(SVCHOST, SET, SERVICES, full, mapped, false, ZERO));
        assertEquals(SubscriptionMatcher.Truth.UNKNOWN, SubscriptionMatcher.member(SVCHOST, SET, SERVICES, full, unmapped, false, ZERO));
        assertEquals(SubscriptionMatcher.Truth.UNKNOWN, SubscriptionMatcher.member(SVCHOST, SET, SERVICES, full, null, true, ZERO));
        assertEquals(SubscriptionMatcher.Truth.TRUE, SubscriptionMatcher.member(SVCHOST_NAME, SET, SERVICES, full, unmapped, false, ZERO));
        assertEquals(SubscriptionMatcher.Truth.UNKNOWN, SubscriptionMatcher.member(DATA_ZERO, SET, SERVICES, full, mapped, false, null));
        assertEquals(SubscriptionMatcher.Truth.FALSE, SubscriptionMatcher.member(DATA_ZERO, SET, SERVICES, full, mapped, false, "x"));
        assertEquals(SubscriptionMatcher.Truth.TRUE, SubscriptionMatcher.member(START, SET, SERVICES, full, mapped, false, null));
        assertEquals(SubscriptionMatcher.Truth.FALSE, SubscriptionMatcher.member(ENABLED, SET, SERVICES, full, mapped, false, null));
    }
}
