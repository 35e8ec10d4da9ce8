import BuurtboekCLI
import RemoteNIO
import Server

// The CLI with the network parts: the remote client's transport and `serve`. `buurtboek`
// runs this in its place for the commands that need them.
Network.transport = NIOTransport()
Network.serve = { settings, listening in try TeamServer.serve(settings, listening: listening) }
BuurtboekMain.run()
