import Testing
@testable import Projections
