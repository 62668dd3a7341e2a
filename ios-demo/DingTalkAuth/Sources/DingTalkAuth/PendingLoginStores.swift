import Foundation

/// A small key-value storage the pending-login store is built on: the Keychain on Apple platforms
/// (`KeychainKeyValueBackend`), memory in tests. Implementations throw any error; it reaches the core as
/// `StoreError.Failed` with a reason that never contains a value.
public protocol KeyValueBackend: AnyObject {
    /// Stores `value` under `key`, replacing an existing one.
    func write(_ value: Data, for key: String) throws
    /// The value under `key`, or nil.
    func read(_ key: String) throws -> Data?
    /// Removes `key`; no error when it is absent.
    func delete(_ key: String) throws
    /// Every key stored by this backend.
    func allKeys() throws -> [String]
}

/// The core's `PendingLoginStore` over a `KeyValueBackend`, so a login survives the OS killing the app
/// while DingTalk is in front. Pending logins hold a hash of the state, the flow and times, never a code;
/// a `GrantDelivery` over the same store keeps the grant being delivered (its code) until acknowledged,
/// at most 15 minutes, which is why the store is the Keychain.
public final class KeyValuePendingLoginStore: PendingLoginStore, @unchecked Sendable {
    private let backend: KeyValueBackend
    private let lock = NSLock()

    /// A store over `backend`.
    public init(backend: KeyValueBackend) {
        self.backend = backend
    }

    /// `PendingLoginStore.put`: stores the UTF-8 bytes of `value`.
    public func put(key: String, value: String) throws {
        try guarded("write") { try backend.write(Data(value.utf8), for: key) }
    }

    /// `PendingLoginStore.get`: the value, or nil; a non-UTF-8 value is a `StoreError`.
    public func get(key: String) throws -> String? {
        try guarded("read") {
            guard let data = try backend.read(key) else { return nil }
            guard let text = String(data: data, encoding: .utf8) else {
                throw StoreError.Failed(reason: "the stored value under a pending-login key is not UTF-8")
            }
            return text
        }
    }

    /// `PendingLoginStore.remove`.
    public func remove(key: String) throws {
        try guarded("delete") { try backend.delete(key) }
    }

    /// `PendingLoginStore.keys`: every key of the backend.
    public func keys() throws -> [String] {
        try guarded("list") { try backend.allKeys() }
    }

    /// One call at a time, and every backend error as `StoreError.Failed` naming the operation and the
    /// error's type and code, never a key's value.
    private func guarded<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch let e as KeychainError {
            throw StoreError.Failed(reason: "pending-login store \(operation) failed: \(e)")
        } catch {
            let ns = error as NSError
            throw StoreError.Failed(reason: "pending-login store \(operation) failed: \(ns.domain) \(ns.code)")
        }
    }
}

/// A backend in memory: tests, previews, and apps that accept losing a login to process death.
public final class InMemoryKeyValueBackend: KeyValueBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String: Data] = [:]

    /// An empty backend.
    public init() {}

    /// See `KeyValueBackend.write(_:for:)`.
    public func write(_ value: Data, for key: String) throws {
        lock.lock(); defer { lock.unlock() }
        items[key] = value
    }

    /// See `KeyValueBackend.read(_:)`.
    public func read(_ key: String) throws -> Data? {
        lock.lock(); defer { lock.unlock() }
        return items[key]
    }

    /// See `KeyValueBackend.delete(_:)`.
    public func delete(_ key: String) throws {
        lock.lock(); defer { lock.unlock() }
        items[key] = nil
    }

    /// See `KeyValueBackend.allKeys()`.
    public func allKeys() throws -> [String] {
        lock.lock(); defer { lock.unlock() }
        return items.keys.sorted()
    }
}

/// A Keychain status that was not success, by number (`SecCopyErrorMessageString` is not on every platform).
public struct KeychainError: Error, CustomStringConvertible, Equatable {
    /// The `OSStatus`.
    public let status: Int32
    /// What was attempted.
    public let operation: String
    /// Creates the error.
    public init(status: Int32, operation: String) {
        self.status = status
        self.operation = operation
    }

    /// "Keychain <operation> returned OSStatus <status>".
    public var description: String { "Keychain \(operation) returned OSStatus \(status)" }
}

#if canImport(Security)
import Security

/// The Keychain as a `KeyValueBackend`: one `kSecClassGenericPassword` item per key under `service`,
/// readable only on this device once it has been unlocked after boot
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: a DingTalk reply can relaunch the app while the
/// screen is locked again; the items never move to another device through a backup).
public final class KeychainKeyValueBackend: KeyValueBackend {
    /// `kSecAttrService` of every item.
    public let service: String
    /// Optional keychain access group (app extensions sharing logins).
    public let accessGroup: String?

    /// A backend over the items of `service`.
    public init(service: String = "dev.dingtalkauth.pending-logins", accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    private func baseQuery() -> [String: Any] {
        var q: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
        ]
        if let accessGroup { q[kSecAttrAccessGroup as String] = accessGroup }
        return q
    }

    /// See `KeyValueBackend.write(_:for:)`.
    public func write(_ value: Data, for key: String) throws {
        var query = baseQuery()
        query[kSecAttrAccount as String] = key
        let attributes: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            query.merge(attributes) { _, new in new }
            status = SecItemAdd(query as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw KeychainError(status: status, operation: "write") }
    }

    /// See `KeyValueBackend.read(_:)`.
    public func read(_ key: String) throws -> Data? {
        var query = baseQuery()
        query[kSecAttrAccount as String] = key
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess else { throw KeychainError(status: status, operation: "read") }
        return result as? Data
    }

    /// See `KeyValueBackend.delete(_:)`.
    public func delete(_ key: String) throws {
        var query = baseQuery()
        query[kSecAttrAccount as String] = key
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainError(status: status, operation: "delete")
        }
    }

    /// See `KeyValueBackend.allKeys()`.
    public func allKeys() throws -> [String] {
        var query = baseQuery()
        query[kSecReturnAttributes as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitAll
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return [] }
        guard status == errSecSuccess else { throw KeychainError(status: status, operation: "list") }
        let items = result as? [[String: Any]] ?? []
        return items.compactMap { $0[kSecAttrAccount as String] as? String }
    }
}

extension KeyValuePendingLoginStore {
    /// The pending-login store an iOS app passes to `DingTalkAuth`: this store over the Keychain.
    public static func keychain(service: String = "dev.dingtalkauth.pending-logins",
                                accessGroup: String? = nil) -> KeyValuePendingLoginStore {
        KeyValuePendingLoginStore(backend: KeychainKeyValueBackend(service: service, accessGroup: accessGroup))
    }
}
#endif
