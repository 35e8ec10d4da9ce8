import ArgumentParser
import JSON
import Ledger
import Membership
import Privacy
import Remote
#if canImport(Glibc)
import Glibc
#endif

struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Enrol, list and revoke the members of a team server.",
        discussion: Help.page("""
        Members and their roles are events in the ledger (member.enrolled, member.role_changed,
        member.revoked), so an audit shows who could do what, when. A member's token is shown
        once; only its SHA-256 is kept, in the key store. Roles: worker (append, import, log,
        stream, types, stats), analyst (reports and read models only), auditor (verify,
        checkpoints, proofs, events without personal fields), admin (members, catalogue,
        erasure). Run on the server's machine (with the master key) or against the server with
        an admin's token.

        EXAMPLES
          buurtboek member add w-joris --role worker --token-out joris.token
          buurtboek member list
          buurtboek member role a-gemeente analyst
          buurtboek member revoke w-joris --reason "left the team"
          buurtboek member list --ledger https://buurtboek.local:8443 --token-file admin.token
        """),
        subcommands: [Add.self, List.self, ChangeRole.self, Revoke.self])

    /// Where member changes are made: the local ledger and its key store, or the server.
    struct Place: ParsableArguments {
        @OptionGroup var worker: WorkerOption
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var masterKey: MasterKeyOption

        func desk() throws -> MemberDesk {
            let ledger = try self.ledger.open()
            guard let path = masterKey.path else {
                throw CLIError("member changes need the master key (the key store holds the tokens): pass --master-key FILE or set $BUURTBOEK_MASTER_KEY_FILE", code: ExitStatus.refused)
            }
            let store = try KeyStore(ledgerPath: ledger.path, masterKey: try MasterKey.load(from: path))
            return MemberDesk(ledger: ledger, keyStore: store, recordedBy: worker.worker ?? "admin")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Enrol a member with a role; prints their token, once.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek member add w-joris --role worker
              buurtboek member add auditor-kpmg --role auditor --token-out kpmg.token
            """))

        @Argument(help: "The member's name, as recordedBy will name them (lower case, digits, . _ -).") var name: String
        @Option(help: ArgumentHelp("worker, analyst, auditor or admin.", valueName: "role")) var role: RoleChoice
        @Option(name: .customLong("token-out"), help: ArgumentHelp("Write the token to this file (mode 0600) instead of printing it.", valueName: "file"))
        var tokenOut: String?
        @OptionGroup var place: Place

        func run() throws {
            let token: String
            if let remote = try place.ledger.remote() {
                let body = JSONWriter.canonical(.object(JSONObject([("name", .string(name)), ("role", .string(role.rawValue))])))
                token = try remote.send(.POST, "/v1/members", body: body).json().object?["token"]?.string ?? ""
            } else {
                token = try place.desk().enrol(name, role: role.role).token
            }
            if let tokenOut {
                try KeyFiles.makeParent(of: tokenOut)
                let fd = open(tokenOut, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0, Descriptor.writeAll(fd, Array((token + "\n").utf8)) else {
                    throw CLIError("--token-out \(tokenOut): cannot create it (\(String(cString: strerror(errno)))); the member is enrolled: revoke and enrol again", code: ExitStatus.storage)
                }
                close(fd)
                print("enrolled \(name) as \(role.rawValue); token written to \(tokenOut) (mode 0600)")
            } else {
                print("enrolled \(name) as \(role.rawValue); their token (shown once, keep it secret):")
                print(token)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the members, their roles and whether they are active.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek member list
              buurtboek member list --format json
            """))

        @OptionGroup var output: FactsFormat
        @OptionGroup var display: DisplayOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let members: [JSONValue]
            if let remote = try ledger.remote() {
                members = try remote.getJSON("/v1/members").array ?? []
            } else {
                members = try ledger.open().read(Roster.read).sorted.map(\.json)
            }
            if output.json { print(JSONWriter.ordered(.array(members))); return }
            guard !members.isEmpty else { print("no members yet (buurtboek member add NAME --role ROLE)"); return }
            var table = TextTable([.init("NAME", wraps: true), .init("ROLE"), .init("STATUS"), .init("TOKEN"), .init("SINCE", right: true)])
            for member in members.compactMap(\.object) {
                table.add([member["name"]?.string ?? "", member["role"]?.string ?? "",
                           member["active"] == .bool(true) ? "active" : "revoked", member["tokenId"]?.string ?? "",
                           String(member["changedAt"]?.int ?? 0)])
            }
            print(table.render(width: display.width), terminator: "")
        }
    }

    struct ChangeRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "role", abstract: "Change a member's role.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek member role a-gemeente analyst
            """))

        @Argument(help: "The member.") var name: String
        @Argument(help: "The new role: worker, analyst, auditor or admin.") var role: RoleChoice
        @OptionGroup var place: Place

        func run() throws {
            if let remote = try place.ledger.remote() {
                _ = try remote.send(.POST, "/v1/members/\(name)/role?role=\(role.rawValue)").json()
            } else {
                try place.desk().changeRole(of: name, to: role.role)
            }
            print("\(name) is now \(role.rawValue)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "End a member's access: their token stops working at once.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek member revoke w-joris --reason "left the team"
            """))

        @Argument(help: "The member.") var name: String
        @Option(help: ArgumentHelp("Why, in a few words (recorded in the log).", valueName: "text")) var reason: String?
        @OptionGroup var place: Place

        func run() throws {
            if let remote = try place.ledger.remote() {
                let query = reason.map { "?reason=" + QueryText.escape($0) } ?? ""
                _ = try remote.send(.POST, "/v1/members/\(name)/revoke\(query)").json()
            } else {
                try place.desk().revoke(name, reason: reason)
            }
            print("revoked \(name): their token no longer works")
        }
    }
}

enum RoleChoice: String, Choice {
    case worker, analyst, auditor, admin
    var role: Role { Role(rawValue: rawValue)! }
}
