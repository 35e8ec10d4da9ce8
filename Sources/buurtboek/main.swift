import BuurtboekCLI

// The local CLI: commands that need the network (a team server as --ledger, `serve`) run
// buurtboek-team, its sibling, in this process's place.
BuurtboekMain.run()
