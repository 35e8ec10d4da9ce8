import JSON
import TextFormats

/// The flows of the work, each following its lifecycle in DOMAIN.md.
struct Flows {
    enum Kind { case contact, referral, signal, initiative, volunteer, resident, tie }

    let world: World
    private var r: SeededRandom {
        get { world.random }
        nonmutating set { world.random = newValue }
    }
    private static let minute: Int64 = 60_000_000

    func start(_ kind: Kind) {
        switch kind {
        case .contact: contact()
        case .referral: referral()
        case .signal: signal()
        case .initiative: initiative()
        case .volunteer: volunteer()
        case .resident: _ = newResident(world.random.int(Vocabulary.neighbourhoods.count), at: world.time())
        case .tie: tie()
        }
    }

    private func neighbourhood() -> Int { world.random.int(Vocabulary.neighbourhoods.count) }

    // MARK: Networks

    func foundNetworks() {
        for n in Vocabulary.neighbourhoods.indices {
            let stream = "network-" + Vocabulary.neighbourhoods[n]
            var t = world.time()
            world.emit("network.founded", stream: stream, n, at: t) {
                $0.string("name", "Buurtnetwerk " + Vocabulary.areas[n].name)
                $0.string("theme", "neighbourhood")
            }
            for org in world.random.sample(Vocabulary.organisations, world.random.int(3...6)) {
                t += Flows.minute * 5
                world.emit("organisation.joined_network", stream: stream, n, at: t) {
                    $0.string("organisation_id", org.id)
                    $0.string("organisation_name", org.name)
                    $0.string("organisation_type", org.type)
                    $0.string("role", world.random.chance(0.3) ? "core_partner" : "partner")
                }
                world.networkOrganisations[n].append(org.id)
            }
        }
    }

    // MARK: Residents

    /// A resident joins the neighbourhood network; returns their index.
    func newResident(_ n: Int, at time: Int64) -> Int {
        let id = "R" + world.nextId("resident")
        let network = "network-" + Vocabulary.neighbourhoods[n]
        let index = world.residents.count
        world.residents.append(.init(id: id, neighbourhood: Vocabulary.neighbourhoods[n], network: network))
        world.residentsByNeighbourhood[n].append(index)
        let stream = "resident-" + id
        var t = time
        world.emit("resident.joined_network", stream: stream, n, at: t) { f in
            f.string("network_id", network)
            f.string("role", world.random.weighted([("member", 0.7), ("core_member", 0.1), ("volunteer", 0.15), ("key_figure", 0.05)]))
            f.string("how_reached", world.random.weighted([("outreach", 0.3), ("drop_in", 0.25), ("activity", 0.2), ("partner_referral", 0.1), ("word_of_mouth", 0.15)]))
            f.string("age_band", world.random.pick(["18-26", "27-44", "45-64", "65-79", "80+"]))
            if world.random.chance(0.6) {
                f.string("name", world.random.pick(Vocabulary.firstNames) + " " + world.random.pick(Vocabulary.lastNames))
                f.string("phone", "06-" + String(10_000_000 + world.random.int(89_999_999)))
            }
            if world.random.chance(0.3) { f.string("address", world.random.pick(Vocabulary.streets) + " " + String(world.random.int(1...180))) }
            if world.random.chance(0.25) {
                f.strings("circumstances", world.random.sample(["low_income", "debts", "loneliness", "physical_health", "mental_health", "language_barrier"], world.random.int(1...2)))
            }
        }
        if world.random.chance(0.7) {
            t += Flows.minute * 4
            giveConsent(index, scope: "store_contact_data", organisation: nil, at: t)
        }
        if world.random.chance(0.3) {
            world.schedule(after: world.random.int(2...20)) { _, t in self.measureWellbeing(index, moment: "baseline", at: t) }
        }
        if world.random.chance(0.1) {
            world.schedule(after: world.random.int(30...200)) { _, t in self.leave(index, at: t) }
        }
        return index
    }

    /// Makes sure the resident has given consent by `time`; returns a time from which it holds.
    /// Events of one day are written in time order, so a consent given by a later action of
    /// the same day only counts from its own time.
    @discardableResult
    func giveConsent(_ index: Int, scope: String, organisation: String?, at time: Int64) -> Int64 {
        let key = scope + (organisation ?? "")
        if let given = world.residents[index].consents[key] { return max(time, given + Flows.minute) }
        world.residents[index].consents[key] = time
        let resident = world.residents[index]
        world.emit("consent.given", stream: "resident-" + resident.id, neighbourhoodIndex(resident), at: time) { f in
            f.string("scope", scope)
            if let organisation { f.string("organisation_id", organisation) }
            f.string("method", world.random.weighted([("verbal", 0.5), ("written", 0.35), ("digital", 0.15)]))
        }
        return time + Flows.minute
    }

    private func neighbourhoodIndex(_ resident: World.Resident) -> Int {
        Vocabulary.neighbourhoods.firstIndex(of: resident.neighbourhood)!
    }

    func measureWellbeing(_ index: Int, moment: String, at time: Int64) {
        guard world.residents[index].member else { return }
        let from = giveConsent(index, scope: "measure_wellbeing", organisation: nil, at: time)
        let resident = world.residents[index]
        let instrument = world.random.weighted([("ons4", 0.5), ("swemwbs", 0.3), ("participation_ladder", 0.2)])
        let lift = moment == "follow_up" ? 1 : 0
        world.emit("wellbeing.measured", stream: "resident-" + resident.id, neighbourhoodIndex(resident), at: from + Flows.minute * 9) { f in
            f.string("instrument", instrument)
            f.string("moment", moment)
            switch instrument {
            case "ons4":
                f.object("ons4", .object(JSONObject([
                    ("life_satisfaction", .int(Int64(min(10, world.random.int(3...8) + lift)))),
                    ("worthwhile", .int(Int64(min(10, world.random.int(4...8) + lift)))),
                    ("happiness", .int(Int64(min(10, world.random.int(3...8) + lift)))),
                    ("anxiety", .int(Int64(max(0, world.random.int(2...7) - lift)))),
                ])))
            case "swemwbs": f.number("score", Double(world.random.int(14...28) + lift * world.random.int(0...4)))
            default: f.number("score", Double(min(6, world.random.int(1...4) + lift)))
            }
        }
        if moment == "baseline" {
            world.schedule(after: world.random.int(90...180)) { _, t in self.measureWellbeing(index, moment: "follow_up", at: t) }
        }
    }

    func leave(_ index: Int, at time: Int64) {
        guard world.residents[index].member else { return }
        world.residents[index].member = false
        let resident = world.residents[index]
        world.emit("resident.left_network", stream: "resident-" + resident.id, neighbourhoodIndex(resident), at: time) { f in
            f.string("network_id", resident.network)
            f.string("reason", world.random.weighted([("moved", 0.4), ("no_time", 0.3), ("not_interested", 0.2), ("other", 0.1)]))
        }
        if world.random.chance(0.2) {
            world.schedule(after: world.random.int(20...90)) { _, t in
                guard !self.world.residents[index].member else { return }
                self.world.residents[index].member = true
                self.world.emit("resident.joined_network", stream: "resident-" + resident.id, self.neighbourhoodIndex(resident), at: t) { f in
                    f.string("network_id", resident.network)
                    f.string("role", "member")
                    f.string("how_reached", "word_of_mouth")
                }
            }
        }
    }

    /// A member of the neighbourhood's network (a new one if there is none yet).
    func someResident(_ n: Int, at time: Int64) -> (index: Int, time: Int64) {
        let pool = world.residentsByNeighbourhood[n]
        if let pick = (0..<3).lazy.map({ _ in pool.isEmpty ? nil : pool[world.random.int(pool.count)] })
            .first(where: { $0 != nil && world.residents[$0!].member }), let index = pick {
            return (index, time)
        }
        return (newResident(n, at: time), time + Flows.minute * 15)
    }

    // MARK: Presence

    func contact() {
        let n = neighbourhood()
        let stream = "contact-2025-" + world.nextId("contact", width: 7)
        let resident: String? = world.random.chance(0.55) ? world.residents.isEmpty ? nil : {
            let pool = world.residentsByNeighbourhood[n]
            return pool.isEmpty ? nil : world.residents[pool[world.random.int(pool.count)]].id
        }() : nil
        world.emit("contact.recorded", stream: stream, n, at: world.time(), lateBy: world.lateness()) { f in
            f.string("mode", world.random.weighted([("drop_in", 0.3), ("home_visit", 0.15), ("door_knock", 0.1), ("street", 0.15),
                                                    ("phone", 0.15), ("digital", 0.05), ("meeting", 0.1)]))
            if let resident { f.string("resident_id", resident) }
            f.strings("topics", world.random.sample(["housing", "money", "debts", "health", "loneliness", "safety", "neighbourhood",
                                                     "digital_help", "administration", "work", "language", "parenting"], world.random.int(1...3)))
            f.int("minutes", world.random.weighted([(10, 0.3), (20, 0.3), (45, 0.25), (90, 0.15)]))
            f.bool("new_participant", world.random.chance(0.2))
            if world.random.chance(0.3) {
                f.strings("target_groups", world.random.sample(["seniors", "youth", "newcomers", "low_income", "families", "isolated_residents"], world.random.int(1...2)))
            }
            if world.random.chance(0.3) { f.string("summary", world.random.pick(Vocabulary.contactSummaries)) }
        }
    }

    // MARK: Referrals

    func referral() {
        let n = neighbourhood()
        var (resident, t) = someResident(n, at: world.time())
        let (service, organisation) = world.random.pick(Vocabulary.serviceOrganisations)
        let handover = world.random.weighted([("warm", 0.45), ("cold", 0.35), ("signpost", 0.2)])
        let sharesData = handover != "signpost" && world.random.chance(0.6)
        if sharesData {
            t = giveConsent(resident, scope: "share_with_organisation", organisation: organisation, at: t + Flows.minute * 5)
        }
        let stream = "referral-2025-" + world.nextId("referral")
        let residentId = world.residents[resident].id
        let made = world.day
        // The organisation moved to referral.made v2 (with urgency) on 1 July.
        let v2 = world.month >= 7
        world.emit("referral.made", version: v2 ? 2 : 1, stream: stream, n, at: t + Flows.minute * 5) { f in
            f.string("resident_id", residentId)
            f.string("target_organisation", organisation)
            f.string("service", service)
            f.string("handover", handover)
            f.string("support_level", world.random.weighted([("light", 0.4), ("moderate", 0.4), ("intensive", 0.2)]))
            if v2 { f.string("urgency", world.random.weighted([("routine", 0.6), ("soon", 0.3), ("urgent", 0.1)])) }
            f.date("due_date", day: World.firstDay + made + 42)
            f.bool("shares_data", sharesData)
            if world.random.chance(0.4) { f.string("reason", world.random.pick(Vocabulary.contactSummaries)) }
        }
        let warm = handover == "warm"
        // The service or the resident answers within days, sometimes weeks; a few stall.
        world.schedule(after: world.random.int(2...14)) { w, t in
            let roll = w.random.double()
            if roll < 0.10 {
                w.emit("referral.declined", stream: stream, n, at: t) { $0.string("reason", w.random.pick(["no_longer_needed", "not_ready", "prefers_other_help", "no_trust"])) }
            } else if roll < 0.18 {
                w.emit("referral.rejected", stream: stream, n, at: t) { $0.string("reason", w.random.pick(["not_eligible", "waiting_list_full", "wrong_service", "missing_information"])) }
            } else if roll < 0.22 {
                return // stalls: stays open past its due date
            } else {
                w.emit("referral.accepted", stream: stream, n, at: t) { _ in }
                w.schedule(after: w.random.int(3...21)) { w, t in self.firstContact(stream, n, warm: warm, at: t) }
            }
        }
    }

    private func firstContact(_ stream: String, _ n: Int, warm: Bool, at t: Int64) {
        if world.random.chance(0.05) {
            world.emit("referral.declined", stream: stream, n, at: t) { $0.string("reason", "not_ready") }
            return
        }
        world.emit("referral.first_contact_made", stream: stream, n, at: t) { f in
            f.bool("accompanied_by_referrer", warm ? world.random.chance(0.8) : world.random.chance(0.05))
            f.string("mode", world.random.weighted([("in_person", 0.6), ("phone", 0.2), ("video", 0.05), ("home_visit", 0.15)]))
        }
        world.schedule(after: world.random.int(20...90)) { w, t in
            if w.random.chance(0.85) {
                w.emit("referral.completed", stream: stream, n, at: t) { $0.string("outcome", w.random.weighted([("goal_reached", 0.6), ("partly_reached", 0.3), ("transferred", 0.1)])) }
                w.schedule(after: w.random.int(1...14)) { w, t in
                    w.emit("referral.closed", stream: stream, n, at: t) { f in
                        f.string("reason", "completed")
                        f.bool("feedback_to_referrer_sent", w.random.chance(0.6))
                    }
                }
            } else {
                w.emit("referral.closed", stream: stream, n, at: t) { f in
                    f.string("reason", w.random.pick(["no_show", "withdrawn", "moved", "no_response"]))
                    f.bool("feedback_to_referrer_sent", w.random.chance(0.3))
                }
            }
        }
    }

    // MARK: Signals

    func signal() {
        let n = neighbourhood()
        let stream = "signal-2025-" + world.nextId("signal")
        let (category, text) = world.random.pick(Vocabulary.signalTexts)
        let structural = world.random.chance(0.25)
        world.emit("signal.raised", stream: stream, n, at: world.time()) { f in
            f.string("category", category)
            f.string("raised_by", world.random.weighted([("resident", 0.5), ("worker", 0.25), ("partner", 0.1), ("residents_group", 0.15)]))
            f.int("residents_concerned", world.random.int(1...60))
            f.bool("structural", structural)
            f.string("description", text)
        }
        let open = world.openSignals[n]
        world.schedule(after: world.random.int(1...10)) { w, t in
            let roll = w.random.double()
            if roll < 0.15 {
                self.resolve(stream, n, at: t, resolution: w.random.pick(["handled_locally", "not_a_signal", "duplicate"]))
            } else if roll < 0.25, let parent = open.last, parent != stream {
                w.emit("signal.bundled", stream: stream, n, at: t) { $0.string("parent_signal", parent) }
            } else {
                self.escalate(stream, n, level: 1, at: t)
            }
        }
        world.openSignals[n] = Array((open + [stream]).suffix(5))
    }

    private func escalate(_ stream: String, _ n: Int, level: Int, at t: Int64) {
        let due = world.day + 28
        world.emit("signal.escalated", stream: stream, n, at: t) { f in
            f.string("recipient", world.random.weighted([("city_public_space", 0.35), ("city_social_services", 0.15), ("housing_corporation", 0.2),
                                                          ("police", 0.05), ("council", 0.1), ("district_office", 0.15)]))
            f.int("level", level)
            f.date("response_due", day: World.firstDay + due)
        }
        let acknowledged = world.random.chance(0.8)
        if acknowledged {
            world.schedule(after: world.random.int(2...10)) { w, t in
                w.emit("signal.acknowledged", stream: stream, n, at: t) { $0.string("reference", "Z-" + String(w.random.int(10000...99999))) }
            }
        }
        world.schedule(after: world.random.int(12...45)) { w, t in
            let decision = w.random.weighted([("will_act", 0.45), ("planned", 0.25), ("declined", 0.15), ("needs_info", 0.1), ("forwarded", 0.05)])
            w.emit("signal.responded", stream: stream, n, at: t) { f in
                f.string("decision", decision)
                if decision == "planned" { f.date("planned_date", day: World.firstDay + w.day + w.random.int(14...90)) }
            }
            if decision == "declined" && level < 3 && w.random.chance(0.3) {
                w.schedule(after: w.random.int(3...14)) { _, t in self.escalate(stream, n, level: level + 1, at: t) }
            } else {
                w.schedule(after: w.random.int(7...60)) { w, t in
                    self.resolve(stream, n, at: t, resolution: decision == "declined" ? "declined_final" : w.random.pick(["fixed", "fixed", "policy_changed"]))
                }
            }
        }
    }

    private func resolve(_ stream: String, _ n: Int, at t: Int64, resolution: String) {
        world.emit("signal.resolved", stream: stream, n, at: t) { $0.string("resolution", resolution) }
        if world.random.chance(0.6) {
            world.schedule(after: world.random.int(1...14)) { w, t in
                w.emit("signal.feedback_given", stream: stream, n, at: t) { f in
                    f.string("channel", w.random.pick(["in_person", "letter", "meeting", "newsletter", "phone", "digital"]))
                    f.int("residents_reached", w.random.int(1...80))
                }
                if w.random.chance(0.06) {
                    w.schedule(after: w.random.int(10...60)) { w, t in
                        w.emit("signal.reopened", stream: stream, n, at: t) { $0.string("reason", w.random.pick(["not_fixed", "recurred", "new_information"])) }
                        w.schedule(after: w.random.int(3...20)) { _, t in self.escalate(stream, n, level: 2, at: t) }
                    }
                }
            }
        }
    }

    // MARK: Initiatives

    func initiative() {
        let n = neighbourhood()
        // Themes follow the seasons: clean-ups in spring, christmas markets prepared in autumn.
        let month = world.month
        var choices = Vocabulary.initiativeTitles.map { ($0, 1.0) }
        for i in choices.indices {
            switch choices[i].0.theme {
            case "clean_up": choices[i].1 = (3...5).contains(month) ? 6 : 0.3
            case "christmas_market": choices[i].1 = (9...11).contains(month) ? 8 : 0.05
            case "street_party": choices[i].1 = (5...8).contains(month) ? 4 : 0.3
            case "collective_purchase": choices[i].1 = (8...10).contains(month) ? 3 : 0.5
            default: break
            }
        }
        let (theme, title) = world.random.weighted(choices)
        let stream = "initiative-2025-" + world.nextId("initiative")
        let (proposer, t) = someResident(n, at: world.time())
        let proposerId = world.residents[proposer].id
        world.emit("initiative.proposed", stream: stream, n, at: t) { f in
            f.string("title", title)
            f.string("theme", theme)
            f.string("proposed_by", proposerId)
            f.int("proposers", world.random.int(1...12))
            if world.random.chance(0.4) { f.string("description", "Bewoners willen samen een " + title.lowercased() + " organiseren.") }
        }
        world.openInitiatives[n] = Array((world.openInitiatives[n] + [stream]).suffix(8))
        if world.random.chance(0.15) {
            world.schedule(after: world.random.int(20...60)) { w, t in
                w.emit("initiative.closed", stream: stream, n, at: t) { $0.string("outcome", "not_realised") }
            }
            return
        }
        let supported = world.random.chance(0.8)
        if supported {
            world.schedule(after: world.random.int(3...14)) { w, t in
                w.emit("initiative.supported", stream: stream, n, at: t) { f in
                    f.string("support_kind", w.random.pick(["coaching", "space", "materials", "promotion", "networking", "administrative", "funding_application"]))
                    f.number("hours", Double(w.random.int(1...16)))
                }
            }
        }
        let funded = world.random.chance(0.6)
        if funded {
            world.schedule(after: world.random.int(15...19)) { w, t in
                let decision = w.random.weighted([("granted", 0.6), ("partial", 0.25), ("declined", 0.15)])
                let requested = Double(w.random.int(2...40) * 50)
                w.emit("initiative.funding_decided", stream: stream, n, at: t) { f in
                    f.string("decision", decision)
                    f.string("funder", w.random.pick(["neighbourhood_budget", "city_fund", "foundation", "housing_corporation"]))
                    f.number("amount_requested", requested)
                    f.number("amount_granted", decision == "granted" ? requested : decision == "partial" ? requested / 2 : 0)
                }
            }
        }
        // The first activity realises the initiative; a christmas market waits for December.
        var first = world.random.int(21...60)
        if theme == "christmas_market" { first = max(first, World.firstDay + 0 + dayOfYear(month: 12, day: world.random.int(6...20)) - World.firstDay - world.day) }
        let activities = world.random.int(1...8)
        world.schedule(after: first) { _, t in self.activity(stream, n, theme: theme, remaining: activities, at: t) }
    }

    private func dayOfYear(month: Int, day: Int) -> Int { Calendar.days(year: 2025, month: month, day: day) }

    private func activity(_ stream: String, _ n: Int, theme: String, remaining: Int, at t: Int64) {
        world.emit("activity.held", stream: stream, n, at: t, lateBy: world.lateness()) { f in
            f.string("activity_kind", theme)
            f.int("attendance", world.random.int(4...(theme == "christmas_market" ? 400 : 60)))
            f.int("new_participants", world.random.int(0...8))
            f.int("volunteers", world.random.int(1...12))
            if world.random.chance(0.5) {
                f.strings("target_groups", world.random.sample(["seniors", "youth", "children", "newcomers", "low_income", "families"], world.random.int(1...2)))
            }
        }
        if remaining > 1 {
            world.schedule(after: world.random.int(7...30)) { _, t in self.activity(stream, n, theme: theme, remaining: remaining - 1, at: t) }
        } else {
            world.schedule(after: world.random.int(7...40)) { w, t in
                w.emit("initiative.closed", stream: stream, n, at: t) { $0.string("outcome", w.random.weighted([("completed", 0.5), ("continued_independently", 0.3), ("stopped", 0.15), ("merged", 0.05)])) }
            }
        }
    }

    // MARK: Volunteers

    func volunteer() {
        let n = neighbourhood()
        let (resident, t) = someResident(n, at: world.time())
        let residentId = world.residents[resident].id
        let stream = "volunteer-2025-" + world.nextId("volunteer")
        world.emit("volunteer.offered", stream: stream, n, at: t) { f in
            f.string("resident_id", residentId)
            f.strings("talents", world.random.sample(["cooking", "repair", "language", "digital", "organising", "gardening", "transport", "music", "admin"], world.random.int(1...3)))
            f.number("hours_per_week", Double(world.random.int(1...8)))
        }
        guard world.random.chance(0.85) else {
            world.schedule(after: world.random.int(14...60)) { w, t in
                w.emit("volunteer.ended", stream: stream, n, at: t) { $0.string("reason", "no_time") }
            }
            return
        }
        world.schedule(after: world.random.int(3...20)) { w, t in
            let initiatives = w.openInitiatives[n]
            let initiative = initiatives.isEmpty ? "initiative-2025-000001" : w.random.pick(initiatives)
            let sessions = w.random.int(2...12)
            w.emit("volunteer.matched", stream: stream, n, at: t) { f in
                f.string("initiative_id", initiative)
                f.string("task", w.random.pick(["host", "cook", "repair", "teach", "organise", "drive", "garden", "promote"]))
                f.number("hours_scheduled", Double(sessions * 3))
            }
            self.volunteerHours(stream, n, initiative: initiative, remaining: sessions)
        }
    }

    private func volunteerHours(_ stream: String, _ n: Int, initiative: String, remaining: Int) {
        world.schedule(after: world.random.int(7...21)) { w, t in
            if remaining == 0 {
                w.emit("volunteer.ended", stream: stream, n, at: t) { $0.string("reason", w.random.weighted([("completed", 0.6), ("no_time", 0.2), ("moved", 0.1), ("mismatch", 0.1)])) }
                return
            }
            w.emit("volunteer.hours_logged", stream: stream, n, at: t, lateBy: w.lateness()) { f in
                f.number("hours", Double(w.random.int(1...8)) / 2 + 0.5)
                f.string("initiative_id", initiative)
            }
            self.volunteerHours(stream, n, initiative: initiative, remaining: remaining - 1)
        }
    }

    // MARK: Ties

    func tie() {
        let n = neighbourhood()
        let (a, t) = someResident(n, at: world.time())
        let bridging = world.random.chance(0.12)
        let other = bridging ? (n + 1 + world.random.int(Vocabulary.neighbourhoods.count - 1)) % Vocabulary.neighbourhoods.count : n
        let toOrganisation = world.random.chance(0.15) && !world.networkOrganisations[other].isEmpty
        let to: String
        var t2 = t
        if toOrganisation {
            to = world.random.pick(world.networkOrganisations[other])
        } else {
            let (b, tb) = someResident(other, at: t)
            to = world.residents[b].id
            t2 = tb
        }
        let from = world.residents[a].id
        guard from != to else { return }
        let stream = "tie-2025-" + world.nextId("tie")
        world.emit("tie.formed", stream: stream, n, at: t2 + Flows.minute, lateBy: 0) { f in
            f.string("from_id", from)
            f.string("to_id", to)
            f.string("tie_kind", toOrganisation ? "collaboration" : world.random.pick(["neighbour_help", "friendship", "practical_support", "mentoring"]))
            f.bool("brokered_by_worker", world.random.chance(0.4))
            f.string("context", world.random.pick(["activity", "drop_in", "initiative", "home_visit", "network_meeting"]))
            f.string("from_neighbourhood", Vocabulary.neighbourhoods[n])
            f.string("to_neighbourhood", Vocabulary.neighbourhoods[other])
        }
        if world.random.chance(0.15) {
            world.schedule(after: world.random.int(30...250)) { w, t in
                w.emit("tie.ended", stream: stream, n, at: t) { $0.string("reason", w.random.pick(["moved", "conflict", "no_longer_needed", "faded"])) }
            }
        }
    }
}
