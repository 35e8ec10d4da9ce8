import Foundation

/// The analysts' indicators computed a second way, for the tests: a plain fold over the JSON
/// Lines of `buurtboek export`, written apart from the projectors (Foundation's JSON parser,
/// one pass per indicator over an array of events, no shared code). Each function returns the
/// rows a report section should hold: row label → column → value (nil: no value).
struct ReferenceFold {
    struct Event {
        let position: Int
        let id: String
        let type: String
        let version: Int
        let stream: String
        let occurred: Int64
        let recorded: Int64
        let neighbourhood: String
        let data: [String: Any]
    }

    typealias Rows = [String: [String: Double?]]

    let events: [Event]
    /// occurredAt bounds: from inclusive, to exclusive (microseconds), nil unbounded.
    let from: Int64?
    let to: Int64?
    /// The report's "now": recordedAt of the last event.
    let reference: Int64
    static let day: Int64 = 86_400_000_000

    init(export: String, from: String? = nil, to: String? = nil) throws {
        events = try export.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return Event(position: o["position"] as! Int, id: o["id"] as! String, type: o["type"] as! String,
                         version: o["schemaVersion"] as! Int, stream: o["stream"] as! String,
                         occurred: Self.micros(o["occurredAt"] as! String), recorded: Self.micros(o["recordedAt"] as! String),
                         neighbourhood: o["neighbourhood"] as? String ?? "", data: o["data"] as? [String: Any] ?? [:])
        }
        self.from = from.map { Self.micros($0) }
        self.to = to.map { Self.micros($0) + Self.day }
        reference = events.last!.recorded
    }

    /// "2025-03-01", "2025-03-01T09:00:00Z" or with microseconds, to microseconds since 1970.
    static func micros(_ text: String) -> Int64 {
        let c = Array(text.utf8)
        func num(_ a: Int, _ n: Int) -> Int { c[a..<a + n].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let (y, m, d) = (num(0, 4), num(5, 2), num(8, 2))
        // Days from 1970-01-01 by counting: years, then months (the tests use 2024-2026).
        var days = 0
        for year in 1970..<y { days += (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365 }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        days += lengths[0..<(m - 1)].reduce(0, +) + d - 1
        var t = Int64(days) * day
        if c.count > 10 {
            t += Int64(num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2)) * 1_000_000
            if c.count > 20 && c[19] == UInt8(ascii: ".") {
                var frac = 0, digits = 0
                var i = 20
                while c[i] != UInt8(ascii: "Z") { frac = frac * 10 + Int(c[i] - 48); digits += 1; i += 1 }
                while digits < 6 { frac *= 10; digits += 1 }
                t += Int64(frac)
            }
        }
        return t
    }

    func inPeriod(_ t: Int64?) -> Bool {
        guard let t else { return false }
        return (from == nil || t >= from!) && (to == nil || t < to!)
    }

    var end: Int64 { min(to ?? reference, reference) }

    static func month(_ t: Int64) -> String {
        var days = Int(t / day)
        var y = 1970
        while true {
            let n = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365
            if days < n { break }
            days -= n
            y += 1
        }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        var m = 1
        for length in [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
            if days < length { break }
            days -= length
            m += 1
        }
        return String(format: "%04d-%02d", y, m)
    }

    static func monthEnd(_ label: String) -> Int64 {
        let y = Int(label.prefix(4))!, m = Int(label.suffix(2))!
        return micros(m == 12 ? String(format: "%04d-01-01", y + 1) : String(format: "%04d-%02d-01", y, m + 1))
    }

    static func median(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func p90(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        return s[Int((Double(s.count) * 0.9).rounded(.up)) - 1]
    }

    static func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }

    static func rate(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

    static func days(_ a: Int64?, _ b: Int64?) -> Double? {
        guard let a, let b, b >= a else { return nil }
        return Double(b - a) / Double(day)
    }

    func streams(_ prefix: String) -> [String: [Event]] {
        Dictionary(grouping: events.filter { $0.type.hasPrefix(prefix) }, by: \.stream)
    }

    // MARK: membership

    struct Member { var neighbourhood = ""; var spans: [(Int64, Int64?)] = [] }

    func members() -> [String: Member] {
        var out: [String: Member] = [:]
        for e in events where ["resident.joined_network", "resident.left_network", "resident.erased"].contains(e.type) {
            var m = out[e.stream] ?? Member()
            if e.type == "resident.joined_network" {
                m.neighbourhood = e.neighbourhood
                m.spans.append((e.occurred, nil))
            } else if let i = m.spans.lastIndex(where: { $0.1 == nil }) {
                m.spans[i].1 = max(e.occurred, m.spans[i].0)
            }
            out[e.stream] = m
        }
        return out.filter { !$0.value.spans.isEmpty }
    }

    static func active(_ m: Member, at t: Int64) -> Bool {
        m.spans.contains { $0.0 <= t - 1 && ($0.1 == nil || t - 1 < $0.1!) }
    }

    // MARK: neighbourhood overview

    func overview() -> Rows {
        struct Tally { var c: [String: Double] = [:]; var touched = false }
        let modes = ["drop_in", "home_visit", "door_knock", "street", "phone", "digital", "meeting"]
        var tallies: [String: [String: [String: Double]]] = [:]
        func add(_ n: String, _ month: String, _ column: String, _ v: Double) {
            tallies[n, default: [:]][month, default: [:]][column, default: 0] += v
        }
        for e in events {
            let dayStart = e.occurred / Self.day * Self.day
            guard inPeriod(dayStart) else { continue }
            let (n, m) = (e.neighbourhood, Self.month(e.occurred))
            switch e.type {
            case "resident.joined_network": add(n, m, "members joined", 1)
            case "resident.left_network": add(n, m, "members left", 1)
            case "contact.recorded":
                add(n, m, "contacts", 1)
                if ["home_visit", "door_knock"].contains(e.data["mode"] as! String) { add(n, m, "outreach", 1) }
                precondition(modes.contains(e.data["mode"] as! String))
                if (e.data["new_participant"] as? Bool) == true { add(n, m, "new participants", 1) }
                if let groups = e.data["target_groups"] as? [Any], !groups.isEmpty { add(n, m, "target-group contacts", 1) }
                for g in Set(e.data["target_groups"] as? [String] ?? []) { add(n, m, "contacts:" + g, 1) }
            case "activity.held":
                add(n, m, "activities", 1)
                for g in Set(e.data["target_groups"] as? [String] ?? []) { add(n, m, "activities:" + g, 1) }
                add(n, m, "attendance", Double(e.data["attendance"] as? Int ?? 0))
                add(n, m, "new participants", Double(e.data["new_participants"] as? Int ?? 0))
            case "initiative.proposed": add(n, m, "initiatives proposed", 1)
            case "referral.made": add(n, m, "referrals made", 1)
            case "referral.completed": add(n, m, "referrals completed", 1)
            case "signal.raised": add(n, m, "signals raised", 1)
            case "signal.escalated": add(n, m, "signals escalated", 1)
            case "signal.resolved": add(n, m, "signals resolved", 1)
            case "volunteer.hours_logged": add(n, m, "volunteer hours", (e.data["hours"] as? NSNumber)?.doubleValue ?? 0)
            default: break
            }
        }
        for (_, list) in streams("") where list.contains(where: { $0.type == "activity.held" || $0.type == "initiative.proposed" }) {
            let proposed = list.last { $0.type == "initiative.proposed" }
            let activities = list.filter { $0.type == "activity.held" }
            guard let first = activities.map(\.occurred).min() else { continue }
            let n = proposed?.neighbourhood ?? activities[0].neighbourhood
            if inPeriod(first) { add(n, Self.month(first), "initiatives realised", 1) }
        }
        let members = members()
        var rows: Rows = [:]
        func row(_ c: [String: Double], active: Int) -> [String: Double?] {
            func v(_ k: String) -> Double { c[k] ?? 0 }
            return ["members joined": v("members joined"), "members left": v("members left"), "active members": Double(active),
                    "contacts": v("contacts"), "outreach share": Self.rate(Int(v("outreach")), Int(v("contacts"))),
                    "target-group contacts": v("target-group contacts"), "activities": v("activities"), "attendance": v("attendance"),
                    "new participants": v("new participants"), "initiatives proposed": v("initiatives proposed"),
                    "initiatives realised": v("initiatives realised"), "referrals made": v("referrals made"),
                    "referrals completed": v("referrals completed"), "signals raised": v("signals raised"),
                    "signals escalated": v("signals escalated"), "signals resolved": v("signals resolved"),
                    "volunteer hours": v("volunteer hours")]
        }
        var everything: [String: Double] = [:]
        for (n, months) in tallies {
            var total: [String: Double] = [:]
            for (m, c) in months {
                let at = min(Self.monthEnd(m), end)
                rows["\(n)|\(m)"] = row(c, active: members.values.filter { $0.neighbourhood == n && Self.active($0, at: at) }.count)
                total.merge(c, uniquingKeysWith: +)
            }
            rows["\(n)|all"] = row(total, active: members.values.filter { $0.neighbourhood == n && Self.active($0, at: end) }.count)
            for g in ["seniors", "youth", "children", "newcomers", "low_income", "families", "people_with_disabilities", "isolated_residents", "jobseekers"] {
                let c = total["contacts:" + g] ?? 0
                rows["\(n)|group:\(g)"] = ["contacts": c, "share of contacts": Self.rate(Int(c), Int(total["contacts"] ?? 0)),
                                            "activities": total["activities:" + g] ?? 0]
            }
            everything.merge(total, uniquingKeysWith: +)
        }
        rows["all|all"] = row(everything, active: members.values.filter { Self.active($0, at: end) }.count)
        return rows
    }

    // MARK: referrals

    struct Referral {
        var n = "", org = "", service = "", handover = "", urgency = ""
        var due: Int64?, made: Int64?, accepted: Int64?, declined: Int64?, rejected: Int64?
        var firstContact: Int64?, completed: Int64?, closed: Int64?, feedback = false
    }

    func referrals() -> [Referral] {
        streams("referral.").values.map { list in
            var r = Referral()
            for e in list {
                switch e.type {
                case "referral.made":
                    r.n = e.neighbourhood
                    r.org = e.data["target_organisation"] as! String
                    r.service = e.data["service"] as! String
                    r.handover = e.data["handover"] as! String
                    r.urgency = e.version == 1 ? "unknown" : e.data["urgency"] as! String
                    r.due = (e.data["due_date"] as? String).map { Self.micros($0) / Self.day }
                    r.made = e.occurred
                case "referral.accepted": r.accepted = e.occurred
                case "referral.declined": r.declined = e.occurred
                case "referral.rejected": r.rejected = e.occurred
                case "referral.first_contact_made": r.firstContact = e.occurred
                case "referral.completed": r.completed = e.occurred
                case "referral.closed":
                    r.closed = e.occurred
                    r.feedback = e.data["feedback_to_referrer_sent"] as? Bool ?? false
                default: break
                }
            }
            return r
        }.filter { inPeriod($0.made) }
    }

    func referralRows(_ key: (Referral) -> String) -> Rows {
        let ref = reference
        func by(_ t: Int64?) -> Int64? { t.flatMap { $0 <= ref ? $0 : nil } }
        return Dictionary(grouping: referrals(), by: key).mapValues { list in
            let made = list.count
            let accepted = list.filter { by($0.accepted) != nil }.count
            let declined = list.filter { by($0.declined) != nil }.count
            let rejected = list.filter { by($0.rejected) != nil }.count
            let completed = list.filter { by($0.completed) != nil }.count
            let closed = list.filter { by($0.closed) != nil }
            let toAccepted = list.compactMap { Self.days($0.made, by($0.accepted)) }
            let toFirst = list.compactMap { Self.days($0.made, by($0.firstContact)) }
            let toClosed = list.compactMap { Self.days($0.made, by($0.closed)) }
            let overdue = list.filter { r in
                [r.declined, r.rejected, r.completed, r.closed].allSatisfy { by($0) == nil } && r.due.map { ($0 + 1) * Self.day <= ref } == true
            }.count
            return ["made": Double(made), "accepted": Double(accepted), "declined": Double(declined), "rejected": Double(rejected),
                    "first contact": Double(list.filter { by($0.firstContact) != nil }.count), "completed": Double(completed),
                    "closed": Double(closed.count), "decline rate": Self.rate(declined, made), "completion rate": Self.rate(completed, made),
                    "warm handover share": Self.rate(list.filter { $0.handover == "warm" }.count, made),
                    "closed-loop rate": Self.rate(closed.filter(\.feedback).count, closed.count),
                    "median days to accepted": Self.median(toAccepted), "p90 days to accepted": Self.p90(toAccepted),
                    "median days to first contact": Self.median(toFirst), "p90 days to first contact": Self.p90(toFirst),
                    "median days to closed": Self.median(toClosed), "p90 days to closed": Self.p90(toClosed),
                    "open past due": Double(overdue)]
        }
    }

    // MARK: signals

    struct Signal {
        var category = "", structural = false, state = "", entered: Int64 = 0
        var raised: Int64?, stages: [String: Int64] = [:], escalations = 0, pendingDue: Int64?
        var answered = 0, onTime = 0, resolved: Int64?, feedbackAfter = false, reopened = 0
    }

    func signalRows() -> Rows {
        let waiting = ["RAISED", "ESCALATED", "ACKNOWLEDGED", "RESPONDED"]
        let signals: [Signal] = streams("signal.").values.map { list in
            var s = Signal()
            func enter(_ state: String, _ t: Int64) {
                if waiting.contains(s.state) { s.stages[s.state, default: 0] += max(0, t - s.entered) }
                s.state = state
                s.entered = t
            }
            for e in list {
                let t = e.occurred
                switch e.type {
                case "signal.raised":
                    s.category = e.data["category"] as! String
                    s.structural = e.data["structural"] as? Bool ?? false
                    s.raised = t
                    enter("RAISED", t)
                case "signal.bundled": enter("BUNDLED", t)
                case "signal.escalated":
                    s.escalations += 1
                    s.pendingDue = (e.data["response_due"] as? String).map { Self.micros($0) / Self.day }
                    enter("ESCALATED", t)
                case "signal.acknowledged": enter("ACKNOWLEDGED", t)
                case "signal.responded":
                    if let due = s.pendingDue {
                        s.answered += 1
                        if t / Self.day <= due { s.onTime += 1 }
                        s.pendingDue = nil
                    }
                    enter("RESPONDED", t)
                case "signal.resolved":
                    s.resolved = t
                    s.feedbackAfter = false
                    enter("RESOLVED", t)
                case "signal.feedback_given": if s.state == "RESOLVED" { s.feedbackAfter = true }
                case "signal.reopened":
                    s.reopened += 1
                    enter("RAISED", t)
                default: break
                }
            }
            return s
        }.filter { inPeriod($0.raised) }
        let ref = reference
        return Dictionary(grouping: signals, by: \.category).mapValues { list in
            let resolved = list.filter { $0.resolved != nil }
            let due = list.reduce(0) { $0 + $1.answered + ($1.pendingDue.map { ($0 + 1) * Self.day <= ref } == true ? 1 : 0) }
            let onTime = list.reduce(0) { $0 + $1.onTime }
            var row: [String: Double?] = [
                "raised": Double(list.count), "structural": Double(list.filter(\.structural).count),
                "escalated": Double(list.filter { $0.escalations > 0 }.count), "answers due": Double(due),
                "answered before due": Double(onTime), "answered before due share": Self.rate(onTime, due),
                "resolved": Double(resolved.count), "feedback after resolution": Double(resolved.filter(\.feedbackAfter).count),
                "feedback rate": Self.rate(resolved.filter(\.feedbackAfter).count, resolved.count),
                "reopened": Double(resolved.filter { $0.reopened > 0 }.count),
                "reopen rate": Self.rate(resolved.filter { $0.reopened > 0 }.count, resolved.count),
            ]
            for stage in waiting {
                let days = list.compactMap { s -> Double? in
                    let micros = (s.stages[stage] ?? 0) + (s.state == stage ? max(0, ref - s.entered) : 0)
                    return micros > 0 ? Double(micros) / Double(Self.day) : nil
                }
                row["mean days " + stage.lowercased()] = Self.mean(days)
            }
            return row
        }
    }

    // MARK: initiatives

    func initiativeRows(_ key: ([Event], Event) -> String) -> Rows {
        let ref = reference
        var groups: [String: [[String: Double]]] = [:]
        for (_, list) in streams("") where list.contains(where: { $0.type == "initiative.proposed" }) {
            let proposed = list.last { $0.type == "initiative.proposed" }!
            guard inPeriod(proposed.occurred) else { continue }
            var f: [String: Double] = ["proposed": 1]
            if list.contains(where: { $0.type == "initiative.supported" && $0.occurred <= ref }) { f["supported"] = 1 }
            if let decision = list.last(where: { $0.type == "initiative.funding_decided" }), decision.occurred <= ref {
                f["decided"] = 1
                if ["granted", "partial"].contains(decision.data["decision"] as! String) {
                    f["funded"] = 1
                    f["granted"] = (decision.data["amount_granted"] as? NSNumber)?.doubleValue ?? 0
                }
            }
            let activities = list.filter { $0.type == "activity.held" }
            if let first = activities.map(\.occurred).min(), first <= ref {
                f["realised"] = 1
                if let d = Self.days(proposed.occurred, first) { f["days"] = d }
            }
            if let closed = list.last(where: { $0.type == "initiative.closed" }), closed.occurred <= ref {
                f["closed"] = 1
                if closed.data["outcome"] as! String == "continued_independently" { f["sustained"] = 1 }
                if closed.data["outcome"] as! String == "not_realised" { f["not realised"] = 1 }
            }
            f["activities"] = Double(activities.count)
            f["attendance"] = activities.reduce(0) { $0 + Double($1.data["attendance"] as? Int ?? 0) }
            groups[key(list, proposed), default: []].append(f)
        }
        return groups.mapValues { list in
            func sum(_ k: String) -> Double { list.reduce(0) { $0 + ($1[k] ?? 0) } }
            return ["proposed": sum("proposed"), "supported": sum("supported"), "funding decided": sum("decided"),
                    "funded": sum("funded"), "grant rate": Self.rate(Int(sum("funded")), Int(sum("decided"))),
                    "realised": sum("realised"), "realisation rate": Self.rate(Int(sum("realised")), Int(sum("proposed"))),
                    "sustained": sum("sustained"), "closed": sum("closed"), "not realised": sum("not realised"),
                    "median days to first activity": Self.median(list.compactMap { $0["days"] }),
                    "activities": sum("activities"), "attendance": sum("attendance"), "amount granted": sum("granted")]
        }
    }

    // MARK: volunteers

    func volunteerRows(_ key: (String, String) -> String) -> Rows {
        let ref = reference, endAt = end - 1
        var groups: [String: [[String: Double]]] = [:]
        for (_, list) in streams("volunteer.") {
            guard let offered = list.first(where: { $0.type == "volunteer.offered" }), inPeriod(offered.occurred) else { continue }
            let matched = list.last { $0.type == "volunteer.matched" }
            let ended = list.last { $0.type == "volunteer.ended" }
            var v: [String: Double] = ["offered": 1]
            if let m = matched, m.occurred <= ref {
                v["matched"] = 1
                v["scheduled"] = (m.data["hours_scheduled"] as? NSNumber)?.doubleValue ?? 0
                if let d = Self.days(offered.occurred, m.occurred) { v["days"] = d }
            }
            if let m = matched, m.occurred <= endAt, ended.map({ endAt < $0.occurred }) ?? true { v["active"] = 1 }
            if let e = ended, e.occurred <= ref {
                v["ended"] = 1
                if e.data["reason"] as? String == "completed" { v["completed"] = 1 }
            }
            let logs = list.filter { $0.type == "volunteer.hours_logged" }
            v["logged"] = logs.reduce(0) { $0 + (($1.data["hours"] as? NSNumber)?.doubleValue ?? 0) }
            v["sessions"] = Double(logs.count)
            groups[key(offered.neighbourhood, matched?.data["task"] as? String ?? "(not matched)"), default: []].append(v)
        }
        return groups.mapValues { list in
            func sum(_ k: String) -> Double { list.reduce(0) { $0 + ($1[k] ?? 0) } }
            return ["offered": sum("offered"), "matched": sum("matched"), "match rate": Self.rate(Int(sum("matched")), Int(sum("offered"))),
                    "median days to match": Self.median(list.compactMap { $0["days"] }), "active at end": sum("active"),
                    "ended": sum("ended"), "ended completed": sum("completed"), "hours scheduled": sum("scheduled"),
                    "hours logged": sum("logged"), "hours logged share": sum("scheduled") > 0 ? sum("logged") / sum("scheduled") : nil,
                    "sessions": sum("sessions")]
        }
    }

    // MARK: network

    func networkRows() -> Rows {
        let t = end - 1
        let members = members().filter { Self.active($0.value, at: end) }
        var ties: [(from: String, to: String, fn: String, tn: String, brokered: Bool, start: Int64, end: Int64?)] = []
        for (_, list) in streams("tie.") {
            guard let formed = list.last(where: { $0.type == "tie.formed" }) else { continue }
            let ended = list.last { $0.type == "tie.ended" }.map { max($0.occurred, formed.occurred) }
            ties.append((formed.data["from_id"] as! String, formed.data["to_id"] as! String,
                         formed.data["from_neighbourhood"] as? String ?? formed.neighbourhood,
                         formed.data["to_neighbourhood"] as? String ?? formed.neighbourhood,
                         formed.data["brokered_by_worker"] as? Bool ?? false, formed.occurred, ended))
        }
        var partners: [String: Set<String>] = [:], pairs: [String: Int] = [:]
        for (_, list) in streams("") where list.contains(where: { $0.type == "network.founded" || $0.type == "organisation.joined_network" }) {
            let n = list.first { $0.type == "network.founded" }?.neighbourhood ?? list[0].neighbourhood
            var open: [String: [(Int64, Int64?)]] = [:]
            for e in list {
                let org = e.data["organisation_id"] as? String ?? ""
                if e.type == "organisation.joined_network" { open[org, default: []].append((e.occurred, nil)) }
                if e.type == "organisation.left_network", let i = open[org]?.lastIndex(where: { $0.1 == nil }) {
                    open[org]![i].1 = max(e.occurred, open[org]![i].0)
                }
            }
            let active = Set(open.filter { $0.value.contains { $0.0 <= t && ($0.1 == nil || t < $0.1!) } }.keys)
            partners[n, default: []].formUnion(active)
            pairs[n, default: 0] += active.count * (active.count - 1) / 2
        }
        let live = ties.filter { $0.start <= t && ($0.end == nil || t < $0.end!) }
        var neighbourhoods = Set(members.values.map(\.neighbourhood)).union(live.map(\.fn)).union(partners.keys)
        if neighbourhoods.isEmpty { neighbourhoods = [] }
        func row(_ inN: (String) -> Bool) -> [String: Double?] {
            let ids = Set(members.filter { inN($0.value.neighbourhood) }.keys.map { String($0.dropFirst("resident-".count)) })
            let touching = live.filter { inN($0.fn) || inN($0.tn) }
            let among = touching.filter { ids.contains($0.from) && ids.contains($0.to) }.count
            let n = ids.count
            return ["members": Double(n), "ties": Double(touching.count), "ties among members": Double(among),
                    "density": n > 1 ? 2 * Double(among) / Double(n * (n - 1)) : nil,
                    "ties formed in period": Double(ties.filter { inPeriod($0.start) && (inN($0.fn) || inN($0.tn)) }.count),
                    "brokered share": Self.rate(touching.filter(\.brokered).count, touching.count),
                    "bridging ties": Double(touching.filter { $0.fn != $0.tn }.count),
                    "partner organisations": Double(partners.filter { inN($0.key) }.values.reduce(Set<String>()) { $0.union($1) }.count),
                    "organisation pairs": Double(pairs.filter { inN($0.key) }.values.reduce(0, +)),
                    "ties with organisations": Double(touching.filter { $0.from.hasPrefix("org-") || $0.to.hasPrefix("org-") }.count)]
        }
        var rows: Rows = [:]
        for n in neighbourhoods { rows[n] = row { $0 == n } }
        rows["all"] = row { neighbourhoods.contains($0) }
        return rows
    }

    // MARK: wellbeing

    /// `scores`: event id → the clear personal fields (from the generated input, since the
    /// export carries them sealed).
    func wellbeingRows(scores: [String: [String: Any]]) -> Rows {
        let items = ["ons4": ["life_satisfaction", "worthwhile", "happiness", "anxiety"], "wemwbs": ["score"],
                     "swemwbs": ["score"], "participation_ladder": ["score"]]
        var pairs: [String: [String: [(Double, Double)]]] = [:]
        for (_, list) in streams("wellbeing.") {
            let n = list.last!.neighbourhood
            for (instrument, measured) in Dictionary(grouping: list, by: { $0.data["instrument"] as! String }) {
                guard let b = measured.first(where: { $0.data["moment"] as! String == "baseline" }) else { continue }
                var f: Event?
                for e in measured where e.data["moment"] as! String == "follow_up" && (f == nil || f!.occurred <= e.occurred) { f = e }
                guard let f, f.occurred >= b.occurred, inPeriod(f.occurred) else { continue }
                func values(_ e: Event) -> [Double] {
                    let p = scores[e.id]!
                    if instrument == "ons4" { let o = p["ons4"] as! [String: Any]; return items["ons4"]!.map { (o[$0] as! NSNumber).doubleValue } }
                    return [(p["score"] as! NSNumber).doubleValue]
                }
                for (i, item) in items[instrument]!.enumerated() {
                    for g in ["all", n] { pairs[g, default: [:]]["\(instrument)/\(item)", default: []].append((values(b)[i], values(f)[i])) }
                }
            }
        }
        var rows: Rows = [:]
        for (g, byItem) in pairs {
            for (key, list) in byItem {
                let lower = key.hasSuffix("/anxiety")
                rows["\(g)|\(key)"] = [
                    "pairs": Double(list.count), "mean baseline": Self.mean(list.map(\.0)), "mean follow-up": Self.mean(list.map(\.1)),
                    "mean change": Self.mean(list.map { $0.1 - $0.0 }),
                    "improved": Double(list.filter { lower ? $0.1 < $0.0 : $0.1 > $0.0 }.count),
                    "unchanged": Double(list.filter { $0.1 == $0.0 }.count),
                    "worsened": Double(list.filter { lower ? $0.1 > $0.0 : $0.1 < $0.0 }.count),
                ]
            }
        }
        return rows
    }
}
