// A tiny HTTP/1.1 server on 127.0.0.1 (POSIX sockets, one thread), started and stopped by the tests that
// exercise submit(). It records what it receives so tests can check the exact request the bindings send.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

struct ReceivedRequest {
    var method: String
    var path: String
    /// Header names lower-cased.
    var headers: [String: String]
    var body: [UInt8]
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

enum ServerBehaviour {
    /// Answer every request with this status, raw body bytes and any extra headers.
    case respond(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = [])
    /// Read the request, then hold the connection open without ever answering (until stop()).
    case neverAnswer
    /// Hold the first request as `neverAnswer` does (the app dies before the answer); answer every
    /// later one as `respond` does.
    case holdFirstThenRespond(status: Int, contentType: String, body: [UInt8])
}

struct SocketError: Error, CustomStringConvertible {
    var what: String
    var errno: Int32
    var description: String { "\(what) failed: \(String(cString: strerror(errno)))" }
}

final class LoopbackServer: @unchecked Sendable {
    let port: UInt16
    private let listenFd: Int32
    private let behaviour: ServerBehaviour
    private let lock = NSLock()
    private var requests: [ReceivedRequest] = []
    private var heldConnections: [Int32] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    /// Signalled once per request fully read (before any answer), so a test can wait for "the request
    /// arrived" without sleeping.
    let requestArrived = DispatchSemaphore(value: 0)

    var url: String { "http://127.0.0.1:\(port)/grants" }

    var received: [ReceivedRequest] {
        lock.lock(); defer { lock.unlock() }
        return requests
    }

    init(_ behaviour: ServerBehaviour) throws {
        self.behaviour = behaviour
        let (fd, port) = try LoopbackServer.bindLoopback(listen: true)
        self.listenFd = fd
        self.port = port
        let thread = Thread { [self] in
            self.acceptLoop()
            self.finished.signal()
        }
        thread.name = "LoopbackServer:\(port)"
        thread.start()
    }

    /// Binds a TCP socket to 127.0.0.1 on a port the kernel picks.
    static func bindLoopback(listen doListen: Bool) throws -> (Int32, UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(what: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { let e = errno; close(fd); throw SocketError(what: "bind", errno: e) }
        if doListen {
            guard listen(fd, 16) == 0 else { let e = errno; close(fd); throw SocketError(what: "listen", errno: e) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { let e = errno; close(fd); throw SocketError(what: "getsockname", errno: e) }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    /// A loopback port that nothing listens on: bound (so the kernel picked a free one), then closed.
    static func closedPort() throws -> UInt16 {
        let (fd, port) = try bindLoopback(listen: false)
        close(fd)
        return port
    }

    /// Stops accepting, closes held connections and waits for the server thread to end.
    func stop() {
        lock.lock()
        let alreadyStopped = stopped
        stopped = true
        let held = heldConnections
        heldConnections = []
        lock.unlock()
        if alreadyStopped { return }
        // shutdown() wakes the thread blocked in accept() (it returns EINVAL); then it exits.
        shutdown(listenFd, Int32(SHUT_RDWR))
        for fd in held {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
        finished.wait()
        close(listenFd)
    }

    deinit { stop() }

    private var isStopped: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        while true {
            let conn = accept(listenFd, nil, nil)
            if conn < 0 {
                if errno == EINTR && !isStopped { continue }
                return
            }
            if isStopped { close(conn); return }
            handle(conn)
        }
    }

    private func handle(_ fd: Int32) {
        guard let request = readRequest(fd) else { close(fd); return }
        lock.lock()
        requests.append(request)
        let isFirst = requests.count == 1
        lock.unlock()
        requestArrived.signal()
        var behaviour = self.behaviour
        if case let .holdFirstThenRespond(status, contentType, body) = behaviour {
            behaviour = isFirst ? .neverAnswer : .respond(status: status, contentType: contentType, body: body)
        }
        switch behaviour {
        case .holdFirstThenRespond:
            close(fd)
        case .neverAnswer:
            lock.lock()
            if stopped {
                lock.unlock()
                close(fd)
            } else {
                heldConnections.append(fd)
                lock.unlock()
            }
        case let .respond(status, contentType, body, headers):
            var head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
            head += "Content-Type: \(contentType)\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n"
            head += "Connection: close\r\n\r\n"
            writeAll(fd, Array(head.utf8) + body)
            shutdown(fd, Int32(SHUT_WR))
            close(fd)
        }
    }

    private func readRequest(_ fd: Int32) -> ReceivedRequest? {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return nil }
            data += buf[0..<n]
            headerEnd = find(separator, in: data)
            if data.count > 1 << 20 { return nil }
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[(headerEnd! + separator.count)...])
        while body.count < length {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return nil }
            body += buf[0..<n]
        }
        return ReceivedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 409: return "Conflict"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
