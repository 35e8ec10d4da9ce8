import JSON
import Projections
import TextFormats

/// The network as it stood at the end of the period: members, ties among them, density, the
/// share of ties brokered by workers, ties that bridge neighbourhoods, partner organisations.
public enum NetworkReport {
    static let columns = [
        "neighbourhood", "members", "ties", "ties among members", "density", "ties formed in period", "brokered share",
        "bridging ties", "partner organisations", "organisation pairs", "ties with organisations",
    ]

    /// A tie, as much of it as the report reads (rows are large; copying them is what costs).
    struct Tie {
        let from: String, to: String, fromNeighbourhood: String, toNeighbourhood: String, tieKind: String
        let brokered: Bool
    }

    /// The graph at moment `t`: active members and the active ties, partners per network; and
    /// the ties formed in the period.
    struct Graph {
        var members: [String: String] = [:]          // resident id → neighbourhood
        var ties: [Tie] = []
        var formed: [Tie] = []
        var partners: [String: Set<String>] = [:]    // neighbourhood → organisations
        var organisationPairs: [String: Int] = [:]   // neighbourhood → pairs sharing a network

        init(_ model: NetworkModel, at t: Int64, _ q: ReportQuery) {
            for (stream, row) in model.rows.entries {
                switch row.kind {
                case .member where row.isMember(at: t - 1):
                    members[String(stream.dropFirst("resident-".count))] = q.area(row.neighbourhood)
                case .tie:
                    let tie = Tie(from: row.from, to: row.to, fromNeighbourhood: q.area(row.fromNeighbourhood),
                                  toNeighbourhood: q.area(row.toNeighbourhood), tieKind: row.tieKind, brokered: row.brokered)
                    if let span = row.tie, span.covers(t - 1) { ties.append(tie) }
                    if q.inPeriod(row.tie?.start) { formed.append(tie) }
                case .network:
                    let active = Set(row.partners.filter { $0.span.covers(t - 1) }.map(\.organisation))
                    partners[q.area(row.neighbourhood), default: []].formUnion(active)
                    organisationPairs[q.area(row.neighbourhood), default: 0] += active.count * (active.count - 1) / 2
                default: break
                }
            }
        }
    }

    static func isOrganisation(_ party: String) -> Bool { party.hasPrefix("org-") }

    static func build(_ model: NetworkModel, _ q: ReportQuery) -> Report {
        let t = q.end
        let graph = Graph(model, at: t, q)
        var neighbourhoods = Set(graph.members.values).union(graph.ties.map(\.fromNeighbourhood)).union(graph.partners.keys)
        neighbourhoods = neighbourhoods.filter { q.includes($0) }
        // One pass over members and ties, counting per neighbourhood; a tie belongs to both ends'
        // neighbourhoods, and is "among members" of one when both ends are its members.
        struct Tally { var members = 0, ties = 0, among = 0, formed = 0, brokered = 0, bridging = 0, withOrganisation = 0 }
        var tally: [String: Tally] = [:], all = Tally()
        for n in graph.members.values where neighbourhoods.contains(n) { tally[n, default: Tally()].members += 1; all.members += 1 }
        for tie in graph.ties {
            let a = graph.members[tie.from], b = graph.members[tie.to]
            let bridging = tie.fromNeighbourhood != tie.toNeighbourhood
            let organisation = isOrganisation(tie.from) || isOrganisation(tie.to)
            func count(_ x: inout Tally, among: Bool) {
                x.ties += 1
                if among { x.among += 1 }
                if tie.brokered { x.brokered += 1 }
                if bridging { x.bridging += 1 }
                if organisation { x.withOrganisation += 1 }
            }
            var touched = false
            for n in bridging ? [tie.fromNeighbourhood, tie.toNeighbourhood] : [tie.fromNeighbourhood] where neighbourhoods.contains(n) {
                count(&tally[n, default: Tally()], among: a == n && b == n)
                touched = true
            }
            if touched { count(&all, among: a.map(neighbourhoods.contains) == true && b.map(neighbourhoods.contains) == true) }
        }
        for tie in graph.formed {
            let ends = tie.fromNeighbourhood == tie.toNeighbourhood ? [tie.fromNeighbourhood] : [tie.fromNeighbourhood, tie.toNeighbourhood]
            for n in ends where neighbourhoods.contains(n) { tally[n, default: Tally()].formed += 1 }
            if ends.contains(where: neighbourhoods.contains) { all.formed += 1 }
        }
        func line(_ label: String, _ x: Tally, partners: Int, pairs: Int) -> [Cell] {
            let n = x.members
            let density: Double? = n > 1 ? 2 * Double(x.among) / (Double(n) * Double(n - 1)) : nil
            return [.text(label), .count(n), .count(x.ties), .count(x.among), .statistic(density, n: n, decimals: 4), .count(x.formed),
                    .rate(x.brokered, of: x.ties), .count(x.bridging), .count(partners), .count(pairs), .count(x.withOrganisation)]
        }
        var rows = neighbourhoods.sorted().map { n in
            line(n, tally[n] ?? Tally(), partners: graph.partners[n]?.count ?? 0, pairs: graph.organisationPairs[n] ?? 0)
        }
        if !neighbourhoods.isEmpty {
            let partners = graph.partners.filter { neighbourhoods.contains($0.key) }.values.reduce(Set<String>()) { $0.union($1) }
            let pairs = graph.organisationPairs.filter { neighbourhoods.contains($0.key) }.values.reduce(0, +)
            rows.append(line("all", all, partners: partners.count, pairs: pairs))
        }
        return Report(
            name: "network", title: "Network", scope: q.scope + " · network as at " + RFC3339.format(t),
            sections: [Section(id: "by-neighbourhood", title: "Per neighbourhood", columns: columns, rows: rows,
                               charts: [.bars(title: "Members per neighbourhood", labels: neighbourhoods.sorted(),
                                              values: rows.prefix(neighbourhoods.count).map { $0[1] })])],
            notes: ["Members and ties active at the end of the period. A tie belongs to both ends' neighbourhoods. Density: 2E/(N(N−1)) over the N members and the E ties among them. Bridging: ties between two neighbourhoods. Organisation pairs: partner organisations sharing a network."])
    }

    /// The network as a graph file. Residents are numbered (r1, r2, … in an order that does not
    /// follow their ids); organisations keep their ids, which are not personal data.
    public static func graph(_ model: NetworkModel, _ q: ReportQuery, format: GraphFormat) -> String {
        let graph = Graph(model, at: q.end, q)
        let ties = graph.ties.filter { q.includes($0.fromNeighbourhood) || q.includes($0.toNeighbourhood) }
        var nodes: [String: String] = [:]     // party → neighbourhood
        for (id, n) in graph.members where q.includes(n) { nodes[id] = n }
        for tie in ties {
            nodes[tie.from] = nodes[tie.from] ?? tie.fromNeighbourhood
            nodes[tie.to] = nodes[tie.to] ?? tie.toNeighbourhood
        }
        let residents = nodes.keys.filter { !isOrganisation($0) }.sorted { Pseudonym.order($0) < Pseudonym.order($1) }
        var label: [String: String] = [:]
        for (i, r) in residents.enumerated() { label[r] = "r\(i + 1)" }
        for o in nodes.keys where isOrganisation(o) { label[o] = o }
        let ordered = nodes.keys.sorted { label[$0]!.count != label[$1]!.count ? label[$0]!.count < label[$1]!.count : label[$0]! < label[$1]! }
        switch format {
        case .dot:
            var out = "graph buurtboek {\n  // members and ties active at \(RFC3339.format(q.end)); residents are numbered, not named\n"
            for p in ordered {
                out += "  \"\(label[p]!)\" [kind=\(isOrganisation(p) ? "organisation" : "resident"), neighbourhood=\"\(nodes[p]!)\"];\n"
            }
            for t in ties.sorted(by: { (label[$0.from]!, label[$0.to]!) < (label[$1.from]!, label[$1.to]!) }) {
                out += "  \"\(label[t.from]!)\" -- \"\(label[t.to]!)\" [kind=\(t.tieKind), brokered=\(t.brokered)];\n"
            }
            return out + "}\n"
        case .graphml:
            var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <graphml xmlns="http://graphml.graphdrawing.org/xmlns">
              <key id="kind" for="node" attr.name="kind" attr.type="string"/>
              <key id="neighbourhood" for="node" attr.name="neighbourhood" attr.type="string"/>
              <key id="tie_kind" for="edge" attr.name="tie_kind" attr.type="string"/>
              <key id="brokered" for="edge" attr.name="brokered_by_worker" attr.type="boolean"/>
              <graph id="buurtboek" edgedefault="undirected">

            """
            for p in ordered {
                out += "    <node id=\"\(xml(label[p]!))\"><data key=\"kind\">\(isOrganisation(p) ? "organisation" : "resident")</data><data key=\"neighbourhood\">\(xml(nodes[p]!))</data></node>\n"
            }
            for (i, t) in ties.sorted(by: { (label[$0.from]!, label[$0.to]!) < (label[$1.from]!, label[$1.to]!) }).enumerated() {
                out += "    <edge id=\"e\(i + 1)\" source=\"\(xml(label[t.from]!))\" target=\"\(xml(label[t.to]!))\"><data key=\"tie_kind\">\(xml(t.tieKind))</data><data key=\"brokered\">\(t.brokered)</data></edge>\n"
            }
            return out + "  </graph>\n</graphml>\n"
        }
    }

    static func xml(_ s: String) -> String { HTMLRenderer.escape(s) }
}

public enum GraphFormat: String, CaseIterable, Sendable { case graphml, dot }

/// A stable order for residents that does not follow their ids (so numbering reveals nothing
/// of who joined when): FNV-1a of the id.
enum Pseudonym {
    static func order(_ id: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
