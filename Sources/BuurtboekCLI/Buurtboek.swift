import ArgumentParser

struct Buurtboek: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buurtboek",
        abstract: "An event-sourced ledger for community development work.",
        discussion: Help.page("""
        Every action of community work (a resident joins a network, a referral is made, a signal
        is escalated) is an immutable event appended to an LMDB log, validated against the event
        catalogue and its lifecycles, and hashed into an RFC 9162 Merkle tree.

        QUICK START (the README has it in full)
          buurtboek key master --out ~/.buurtboek/master.key
          export BUURTBOEK_MASTER_KEY_FILE=~/.buurtboek/master.key
          export BUURTBOEK_LEDGER=~/noord.ledger BUURTBOEK_WORKER=w-anna
          buurtboek init
          buurtboek append referral.made --stream referral-2024-0042 \\
              --field resident_id=R000123 \\
              --field target_organisation=org-schuldhulp-noord \\
              --field service=debt_help --field handover=warm \\
              --field support_level=moderate --field urgency=soon
          buurtboek stream referral-2024-0042
          Tools/generate-year --events 20000 --seed 7 > ~/year.jsonl
          buurtboek import ~/year.jsonl
          buurtboek verify
          buurtboek report neighbourhoods --from 2025-01-01 --to 2025-03-31
        """),
        version: VersionCommand.version,
        subcommands: [
            InitCommand.self, AppendCommand.self, ImportCommand.self, LogCommand.self, ShowCommand.self,
            StreamCommand.self, TypesCommand.self, StatsCommand.self, VerifyCommand.self, ExportCommand.self,
            CatalogueCommand.self, AreasCommand.self, KeyCommand.self, EraseCommand.self, AccessLogCommand.self, CheckpointCommand.self,
            ProveCommand.self, AuditCommand.self, CorrectCommand.self, VoidCommand.self,
            ProjectCommand.self, ReplayCommand.self, ReportCommand.self, ServeCommand.self, MemberCommand.self,
        ]
    )
}
