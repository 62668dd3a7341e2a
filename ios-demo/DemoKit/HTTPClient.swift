import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The demo's small HTTP needs (the fake DingTalk's control API, the backend probe), behind a protocol
/// so tests can count or fail calls. The grant itself goes through the library's `submit`.
public protocol DemoHTTPClient: Sendable {
    /// Sends one request and returns the status and body. Redirects are not followed.
    func send(method: String, url: URL, json: [String: Any]?) async throws -> (status: Int, body: Data)
}

/// URLSession without redirects, cookies or caches.
public final class URLSessionHTTPClient: NSObject, DemoHTTPClient, URLSessionTaskDelegate, @unchecked Sendable {
    private lazy var session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 15
        c.httpCookieStorage = nil
        c.urlCache = nil
        return URLSession(configuration: c, delegate: self, delegateQueue: nil)
    }()

    /// A client.
    public override init() {}

    /// See `DemoHTTPClient.send(method:url:json:)`.
    public func send(method: String, url: URL, json: [String: Any]?) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await withCheckedThrowingContinuation { c in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    c.resume(throwing: DemoError.http("\(method) \(url.path): \(error.localizedDescription)"))
                } else if let http = response as? HTTPURLResponse {
                    c.resume(returning: (http.statusCode, data ?? Data()))
                } else {
                    c.resume(throwing: DemoError.http("\(method) \(url.path): no HTTP response"))
                }
            }.resume()
        }
    }

    /// Never follow a redirect: the demo wants to see it.
    public func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                           newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
