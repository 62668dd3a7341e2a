// The app's HTTP stack for `submit`, ready-made over URLSession: no dependency beyond Foundation
// (FoundationNetworking on Linux, where the package's tests run).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HttpTransport` over URLSession. `submit` builds the request and reads the answer itself; this class
/// only moves the bytes.
///
/// - Redirects are never followed: the session's delegate refuses each one, so a 3xx is returned as an
///   answer (a redirect would carry the single-use code to a URL nobody configured). The task delegate
///   is used rather than a completion handler because Foundation on Linux asks the delegate about a
///   redirect only for delegate-driven tasks.
/// - `timeoutMs` is the whole exchange's limit, enforced here (the task is cancelled when it passes) and
///   given to URLSession as its idle and resource limits too; URLSession has no separate connect
///   timeout, so connecting counts against it. (Foundation on Linux truncates its own timeouts to whole
///   seconds, a sub-second one to zero: there they are rounded up and the deadline here is the limit.)
/// - Cancelling the calling task cancels the request.
///
/// Pass your own `configuration` for its proxies, cookies, headers or protocol classes; its timeouts
/// are replaced by the request's. Certificate pinning belongs in a delegate of your own: implement
/// `HttpTransport` over your session (or Alamofire) the same way.
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    private let configuration: URLSessionConfiguration

    public init(configuration: URLSessionConfiguration = .ephemeral) {
        self.configuration = configuration
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Network(reason: "not a URL")
        }
        let timeout = TimeInterval(request.timeoutMs) / 1000
        #if canImport(FoundationNetworking)
        let sessionTimeout = max(timeout.rounded(.up), 1)
        #else
        let sessionTimeout = timeout
        #endif
        var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: sessionTimeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        // swiftlint:disable:next force_cast
        let config = configuration.copy() as! URLSessionConfiguration
        config.timeoutIntervalForRequest = sessionTimeout
        config.timeoutIntervalForResource = sessionTimeout
        let exchange = Exchange(limit: Int(request.maxResponseBytes))
        let session = URLSession(configuration: config, delegate: exchange, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: urlRequest)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                exchange.start(task, continuation)
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { exchange.expire(task) }
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// One request's delegate: collects the body, refuses redirects, resumes the caller once.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var body = Data()
    private var overLimit = false
    private var expired = false
    private var continuation: CheckedContinuation<HttpResponse, Error>?

    init(limit: Int) { self.limit = limit }

    func start(_ task: URLSessionDataTask, _ continuation: CheckedContinuation<HttpResponse, Error>) {
        lock.lock()
        self.continuation = continuation
        lock.unlock()
        task.resume()
    }

    /// The deadline passed: a task still running ends as a timeout.
    func expire(_ task: URLSessionTask) {
        lock.lock()
        let running = continuation != nil
        if running { expired = true }
        lock.unlock()
        if running { task.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        body.append(data)
        // One byte past the limit is enough for the core to refuse the body: stop reading.
        let stop = body.count > limit
        if stop { overLimit = true }
        lock.unlock()
        if stop { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let continuation = self.continuation
        self.continuation = nil
        let body = self.body
        let overLimit = self.overLimit
        let expired = self.expired
        lock.unlock()
        if expired {
            continuation?.resume(throwing: TransportError.Timeout)
            return
        }
        continuation?.resume(with: Result { try answer(task.response as? HTTPURLResponse, body, overLimit ? nil : error) })
    }

    private func answer(_ http: HTTPURLResponse?, _ body: Data, _ error: Error?) throws -> HttpResponse {
        if let error {
            if (error as? URLError)?.code == .timedOut { throw TransportError.Timeout }
            let reason = String(describing: type(of: error)) + ": " + error.localizedDescription
            // The status arrived, the body did not (entirely).
            if let http { throw TransportError.Body(status: UInt16(clamping: http.statusCode), reason: reason) }
            throw TransportError.Network(reason: reason)
        }
        guard let http else { throw TransportError.Network(reason: "the answer is not HTTP") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String { headers[name] = "\(value)" }
        }
        return HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: body)
    }
}
