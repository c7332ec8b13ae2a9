// openStateStore: the StateStore the config asks for. `state.url` empty: SqliteStateStore in
// `state.dir`; a postgres:// or postgresql:// URL: PostgresStateStore on that database.
#pragma once

#include <memory>
#include <string>

#include "shipgate/store/state_store.h"

namespace shipgate::store {

// Errors: those of SqliteStateStore::open or PostgresStateStore::open; InvalidArgument for a
// url of another scheme (the message names it without a password).
Result<std::unique_ptr<StateStore>> openStateStore(const std::string& dir, const std::string& url);

// Where the store lives, for logs: the directory, or "PostgreSQL user@host:port/db" (never the
// password).
std::string describeStateLocation(const std::string& dir, const std::string& url);

}  // namespace shipgate::store
