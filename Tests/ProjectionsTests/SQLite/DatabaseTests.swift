import Testing
@testable import Projections

@Suite struct DatabaseTests {
    let directory = TemporaryDirectory()

    @Test func fileDatabasesOpenInWALMode() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        #expect(try db.journalMode() == "wal")
    }

    @Test func valuesRoundTripThroughEveryStorageClass() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)")
        let insert = try db.prepare("INSERT INTO t VALUES (:i, :r, :s, :b, :n)")
        try insert.bind(.integer(Int64.min), named: ":i")
        try insert.bind(.real(2.5), named: ":r")
        try insert.bind(.text("NIFTY ✓"), named: ":s")
        try insert.bind(.blob([0, 1, 255]), named: ":b")
        try insert.bind(.null, named: ":n")
        #expect(try insert.step() == false)

        let select = try db.prepare("SELECT i, r, s, b, n FROM t")
        #expect(try select.step())
        #expect(select.int64(at: 0) == Int64.min)
        #expect(select.double(at: 1) == 2.5)
        #expect(select.string(at: 2) == "NIFTY ✓")
        #expect(select.blob(at: 3) == [0, 1, 255])
        #expect(select.isNull(at: 4))
        #expect(select.value(at: 4) == .null)
        #expect(try select.step() == false)
    }

    @Test func emptyBlobStaysABlobNotNull() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t(b BLOB)")
        try db.prepare("INSERT INTO t VALUES (?)").run([.blob([])])
        let select = try db.prepare("SELECT b, typeof(b) FROM t")
        #expect(try select.step())
        #expect(select.blob(at: 0) == [])
        #expect(select.string(at: 1) == "blob")
    }

    @Test func resetStatementsRunAgainWithNewBindings() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        for k in 1...3 { try insert.run([.integer(Int64(k)), .text("v\(k)")]) }
        let count = try db.prepare("SELECT count(*) FROM t")
        #expect(try count.step())
        #expect(count.int64(at: 0) == 3)
    }

    @Test func errorsCarryTheSQLAndResultCode() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        let error = #expect(throws: SQLiteError.self) { try db.prepare("SELEKT 1") }
        #expect(error?.sql == "SELEKT 1")
        #expect(error?.primaryCode == 1) // SQLITE_ERROR
        #expect(error?.description.contains("SELEKT 1") == true)

        try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY)")
        let insert = try db.prepare("INSERT INTO t VALUES (1)")
        try insert.run()
        let duplicate = #expect(throws: SQLiteError.self) { try insert.run() }
        #expect(duplicate?.primaryCode == 19) // SQLITE_CONSTRAINT
        #expect(duplicate?.code == 1555) // SQLITE_CONSTRAINT_PRIMARYKEY
    }

    @Test func unknownParameterNameIsAnError() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        let select = try db.prepare("SELECT :a")
        #expect(throws: SQLiteError.self) { try select.bind(.integer(1), named: ":b") }
    }

    @Test func transactionCommitsWhenTheBodyReturns() throws {
        let path = directory.file("a.sqlite")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(k INTEGER)")
        let value = try db.transaction {
            try db.execute("INSERT INTO t VALUES (1)")
            return 42
        }
        #expect(value == 42)
        #expect(!db.isInTransaction)
        let other = try Database(path: path)
        #expect(try count(in: other) == 1)
    }

    struct Boom: Error {}

    @Test func transactionRollsBackAndRethrowsTheFirstError() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t(k INTEGER)")
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try count(in: db) == 0)
    }

    @Test func nestedTransactionFailureUndoesOnlyTheInnerWork() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t(k INTEGER)")
        try db.transaction {
            try db.execute("INSERT INTO t VALUES (1)")
            try? db.transaction {
                try db.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try count(in: db) == 1)
    }

    @Test func aSecondConnectionReadsBesideAnOpenWriteTransaction() throws {
        let path = directory.file("a.sqlite")
        let writer = try Database(path: path)
        try writer.execute("CREATE TABLE t(k INTEGER); INSERT INTO t VALUES (1)")
        let reader = try Database(path: path)
        try writer.transaction {
            try writer.execute("INSERT INTO t VALUES (2)")
            // WAL: the reader sees the last committed state, not the open transaction.
            #expect(try count(in: reader) == 1)
        }
        #expect(try count(in: reader) == 2)
    }

    private func count(in db: Database) throws -> Int64 {
        let select = try db.prepare("SELECT count(*) FROM t")
        _ = try select.step()
        return select.int64(at: 0)
    }
}
