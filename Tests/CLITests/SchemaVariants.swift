import Foundation

extension LedgerTestCase {
    /// A copy of the schema directory whose referral lifecycle is changed: `referral.accepted`
    /// only from IN_PROGRESS, `referral.completed` also from ACCEPTED. Its path.
    func schemasWithReorderedReferrals() throws -> String {
        let schemas = work + "/schemas-reordered"
        try FileManager.default.copyItem(atPath: CLI.schemas, toPath: schemas)
        let file = schemas + "/catalogue.json"
        var catalogue = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        var lifecycles = catalogue["lifecycles"] as! [String: Any]
        var referral = lifecycles["referral"] as! [String: Any]
        referral["transitions"] = (referral["transitions"] as! [[String: Any]]).map { transition in
            var t = transition
            switch t["event"] as? String {
            case "referral.completed": t["from"] = ["IN_PROGRESS", "ACCEPTED"]
            case "referral.accepted": t["from"] = ["IN_PROGRESS"]
            default: break
            }
            return t
        }
        lifecycles["referral"] = referral
        catalogue["lifecycles"] = lifecycles
        try JSONSerialization.data(withJSONObject: catalogue, options: [.sortedKeys]).write(to: URL(fileURLWithPath: file))
        return schemas
    }
}
