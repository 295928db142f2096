package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Malformed policies produce errors that say file:line:column and why. */
class PolicyValidationTest {

    private static List<PolicyError> errors(String xml) {
        PolicyException e = assertThrows(PolicyException.class,
                () -> PolicyParser.parse("bad.xml", xml.getBytes(StandardCharsets.UTF_8)));
        assertTrue(!e.errors().isEmpty());
        return e.errors();
    }

    private static PolicyError only(String xml) {
        List<PolicyError> errs = errors(xml);
        assertEquals(1, errs.size(), errs.toString());
        return errs.get(0);
    }

    private static String wrap(String filtering) {
        return "<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n" + filtering + "\n</EventFiltering>\n</Sysmon>\n";
    }

    @Test
    void unknownConditionIsLocated() {
        PolicyError e = only(wrap("<RegistryEvent onmatch=\"include\">\n  <TargetObject condition=\"starts with\">HKLM</TargetObject>\n</RegistryEvent>"));
        assertEquals("bad.xml", e.file());
        assertEquals(4, e.line());
        assertEquals(41, e.column(), "StAX reports the end of the start tag");
        assertTrue(e.reason().contains("unknown condition \"starts with\""), e.reason());
        assertTrue(e.toString().startsWith("bad.xml:4:41: unknown condition"), e.toString());
    }

    @Test
    void unknownFieldIsLocated() {
        PolicyError e = only(wrap("<RegistryEvent onmatch=\"include\">\n  <TargetObjekt>HKLM</TargetObjekt>\n</RegistryEvent>"));
        assertEquals(4, e.line());
        assertTrue(e.reason().contains("unknown field <TargetObjekt>"), e.reason());
    }

    @Test
    void badAttributeValuesAreLocated() {
        assertTrue(only(wrap("<RuleGroup action=\"deny\"><RegistryEvent onmatch=\"include\"><Details>x</Details></RegistryEvent></RuleGroup>"))
                .reason().contains("bad value action=\"deny\""));
        assertTrue(only(wrap("<RuleGroup timeout=\"0\"><RegistryEvent onmatch=\"include\"><Details>x</Details></RegistryEvent></RuleGroup>"))
                .reason().contains("bad value timeout=\"0\""));
        assertTrue(only(wrap("<RuleGroup timeout=\"60000\"><RegistryEvent onmatch=\"include\"><Details>x</Details></RegistryEvent></RuleGroup>"))
                .reason().contains("1 to 30000"));
        assertTrue(only(wrap("<RuleGroup failmode=\"half\"><RegistryEvent onmatch=\"include\"><Details>x</Details></RegistryEvent></RuleGroup>"))
                .reason().contains("bad value failmode"));
        assertTrue(only(wrap("<RuleGroup groupRelation=\"xor\"><RegistryEvent onmatch=\"include\"><Details>x</Details></RegistryEvent></RuleGroup>"))
                .reason().contains("bad value groupRelation"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"maybe\"><Details>x</Details></RegistryEvent>")).reason().contains("bad value onmatch"));
        assertTrue(only("<Sysmon><HiveGuard mode=\"learn\"/><EventFiltering/></Sysmon>").reason().contains("bad value mode"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Details frobnicate=\"1\">x</Details></RegistryEvent>"))
                .reason().contains("unknown attribute frobnicate"));
    }

    @Test
    void actionOnAnExcludeIsAnError() {
        assertTrue(only(wrap("<RegistryEvent onmatch=\"exclude\" action=\"block\"><Details>x</Details></RegistryEvent>"))
                .reason().contains("no meaning on an exclude"));
    }

    @Test
    void missingFieldAndMissingOnmatchAreErrors() {
        PolicyError e = only(wrap("<RegistryEvent onmatch=\"include\">\n<Rule name=\"empty\"></Rule>\n</RegistryEvent>"));
        assertEquals(4, e.line());
        assertTrue(e.reason().contains("missing field"), e.reason());
        assertTrue(only(wrap("<RegistryEvent><Details>x</Details></RegistryEvent>")).reason().contains("missing attribute onmatch"));
        // A Sysmon configuration without EventFiltering is valid (SysmonFidelityTest): not an error.
    }

    @Test
    void wrongNestingIsLocated() {
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Rule><Rule><Details>x</Details></Rule></Rule></RegistryEvent>"))
                .reason().contains("<Rule> cannot be nested in <Rule>"));
        assertTrue(only(wrap("<RuleGroup><TargetObject>x</TargetObject></RuleGroup>")).reason().contains("must be inside <RegistryEvent>"));
        assertTrue(only(wrap("<TargetObject>x</TargetObject>")).reason().contains("must be inside <RegistryEvent>"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Details>x<Image>y</Image></Details></RegistryEvent>"))
                .reason().contains("cannot be nested in field <Details>"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\">stray<Details>x</Details></RegistryEvent>"))
                .reason().contains("text is not allowed"));
        assertTrue(only(wrap("<RuleGroup><RuleGroup/></RuleGroup>")).reason().contains("cannot be nested in <RuleGroup>"));
        assertTrue(only("<HiveGuardPolicy/>").reason().contains("root element must be <Sysmon>"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Rule groupRelation=\"and\"><Details action=\"block\">x</Details>"
                + "<Image>y</Image></Rule></RegistryEvent>")).reason().contains("belong on the enclosing"));
    }

    @Test
    void badPatternsAreErrors() {
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Details condition=\"contains\"></Details></RegistryEvent>"))
                .reason().contains("empty value"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Details condition=\"contains any\">;;</Details></RegistryEvent>"))
                .reason().contains("at least one"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><ProcessId condition=\"is any\">4;many</ProcessId></RegistryEvent>"))
                .reason().contains("not a number"));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><EventType>SetValues</EventType></RegistryEvent>"))
                .reason().contains("unknown EventType \"SetValues\""));
        assertTrue(only(wrap("<RegistryEvent onmatch=\"include\"><Details condition=\"image\">x.exe</Details></RegistryEvent>"))
                .reason().contains("applies to <Image> only"));
    }

    @Test
    void notWellFormedXmlIsLocated() {
        PolicyError e = only("<Sysmon>\n<EventFiltering>\n<RegistryEvent onmatch=\"include\">\n</EventFiltering>\n</Sysmon>");
        assertEquals(4, e.line());
        assertTrue(e.reason().startsWith("not well-formed XML"), e.reason());
        assertTrue(only("").reason().startsWith("not well-formed XML"));
    }

    @Test
    void doctypeAndEntitiesAreRefusedSoAPolicyCannotReadFilesOrExplode() {
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE Sysmon [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                + "<Sysmon><EventFiltering><RegistryEvent onmatch=\"include\"><Details>&x;</Details></RegistryEvent></EventFiltering></Sysmon>";
        PolicyError e = errors(xxe).get(0);
        assertEquals(2, e.line());
        assertTrue(e.reason().contains("DOCTYPE") || e.reason().contains("not well-formed"), e.reason());
        String bomb = "<!DOCTYPE Sysmon [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><Sysmon/>";
        assertTrue(errors(bomb).get(0).reason().contains("DOCTYPE") || errors(bomb).get(0).reason().contains("not well-formed"));
    }

    @Test
    void everyErrorInAFileIsReportedNotJustTheFirst() {
        List<PolicyError> errs = errors(wrap("<RegistryEvent onmatch=\"include\">\n<Details condition=\"nope\">x</Details>\n"
                + "<Bogus>y</Bogus>\n<Rule action=\"maybe\"><Image>z</Image></Rule>\n</RegistryEvent>"));
        assertEquals(3, errs.size(), errs.toString());
        assertEquals(List.of(4, 5, 6), errs.stream().map(PolicyError::line).toList());
    }

    @Test
    void otherSysmonSectionsAreIgnoredWithANote() throws Exception {
        PolicyDocument d = PolicyParser.parse("sysmon.xml", ("<Sysmon schemaversion=\"4.90\"><HashAlgorithms>md5</HashAlgorithms>"
                + "<EventFiltering><RuleGroup groupRelation=\"or\"><ProcessCreate onmatch=\"exclude\"><Image>x</Image></ProcessCreate>"
                + "</RuleGroup><NetworkConnect onmatch=\"include\"/>"
                + "<RegistryEvent onmatch=\"include\"><TargetObject condition=\"contains\">\\Run\\</TargetObject></RegistryEvent>"
                + "</EventFiltering></Sysmon>").getBytes(StandardCharsets.UTF_8));
        assertEquals(3, d.notes().size(), d.notes().toString());
        assertTrue(d.notes().get(1).contains("<ProcessCreate> ignored"), d.notes().toString());
        assertEquals(1, d.rules().size());
    }
}
