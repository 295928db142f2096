package dev.hiveguard.policy;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A minimal element tree that remembers where each element starts, read with StAX so
 * that every later error can name file:line:column. The reader is locked down: no DTD,
 * no external entities, so a policy file can neither read local files nor expand an
 * entity bomb (an agent running as SYSTEM parses these).
 */
final class XmlNode {

    final String name;
    final Map<String, String> attributes = new LinkedHashMap<>();
    final List<XmlNode> children = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    final int line;
    final int column;

    private XmlNode(String name, int line, int column) {
        this.name = name;
        this.line = line;
        this.column = column;
    }

    /** Thrown for input that is not well-formed XML or uses a DTD; carries the location. */
    static final class XmlSyntaxException extends Exception {
        private static final long serialVersionUID = 1L;
        final int line;
        final int column;

        XmlSyntaxException(String message, int line, int column) {
            super(message);
            this.line = line;
            this.column = column;
        }
    }

    static XmlNode parse(InputStream in) throws XmlSyntaxException {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        trySet(factory, XMLConstants.ACCESS_EXTERNAL_DTD, "");
        trySet(factory, XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        XMLStreamReader r = null;
        try {
            r = factory.createXMLStreamReader(in);
            XmlNode root = null;
            List<XmlNode> stack = new ArrayList<>();
            while (r.hasNext()) {
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.DTD: {
                        Location l = r.getLocation();
                        throw new XmlSyntaxException("DOCTYPE declarations are not allowed in a policy", l.getLineNumber(),
                                l.getColumnNumber());
                    }
                    case XMLStreamConstants.ENTITY_REFERENCE: {
                        Location l = r.getLocation();
                        throw new XmlSyntaxException("entity reference &" + r.getLocalName() + "; is not allowed",
                                l.getLineNumber(), l.getColumnNumber());
                    }
                    case XMLStreamConstants.START_ELEMENT: {
                        Location l = r.getLocation();
                        XmlNode n = new XmlNode(r.getLocalName(), l.getLineNumber(), l.getColumnNumber());
                        for (int i = 0; i < r.getAttributeCount(); i++) {
                            n.attributes.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
                        }
                        if (stack.isEmpty()) {
                            root = n;
                        } else {
                            stack.get(stack.size() - 1).children.add(n);
                        }
                        stack.add(n);
                        break;
                    }
                    case XMLStreamConstants.END_ELEMENT:
                        stack.remove(stack.size() - 1);
                        break;
                    case XMLStreamConstants.CHARACTERS:
                    case XMLStreamConstants.CDATA:
                    case XMLStreamConstants.SPACE:
                        if (!stack.isEmpty()) {
                            XmlNode top = stack.get(stack.size() - 1);
                            top.text.append(r.getText());
                        }
                        break;
                    default:
                        break;
                }
            }
            if (root == null) {
                throw new XmlSyntaxException("no root element", 1, 1);
            }
            return root;
        } catch (XMLStreamException e) {
            Location l = e.getLocation();
            String msg = e.getMessage();
            // The JDK prefixes "ParseError at [row,col]:[..]\nMessage: "; keep only the reason.
            int m = msg == null ? -1 : msg.indexOf("Message: ");
            String reason = m >= 0 ? msg.substring(m + "Message: ".length()) : String.valueOf(msg);
            throw new XmlSyntaxException("not well-formed XML: " + reason.trim(), l == null ? 1 : l.getLineNumber(),
                    l == null ? 1 : l.getColumnNumber());
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // closing a reader that already failed has nothing left to report
                }
            }
        }
    }

    private static void trySet(XMLInputFactory f, String property, Object value) {
        try {
            f.setProperty(property, value);
        } catch (IllegalArgumentException unsupported) {
            // Not every StAX implementation knows the JAXP 1.5 properties; SUPPORT_DTD=false already covers them.
        }
    }
}
