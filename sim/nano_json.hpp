#pragma once

// JSON exactly as a Nano node writes it: boost::property_tree's write_json with pretty printing.
// Every scalar is a string, an empty array/object (below the root) is the empty string "",
// 4-space indentation, `"key": value`, `/` escaped as `\/`, and a trailing newline. This is a
// streaming writer (no tree): cheap enough for the firehose.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::sim::nano {

/// Appends boost's create_escapes() of `text` to `out`.
void append_escaped(std::string& out, std::string_view text);

/// Streaming writer of one pretty-printed property-tree document into `out` (appended).
/// Usage: begin_object(); value("k", "v"); begin_array("a"); element("x"); end(); end(); finish().
/// The root must be an object. Containers left empty become "" (the property-tree rule).
class pretty_writer {
public:
    explicit pretty_writer(std::string& out)
      : out_(out) {}

    void begin_object();                     ///< root, or an array element
    void begin_object(std::string_view key); ///< an object member
    void begin_array(std::string_view key);
    void begin_array(); ///< an array element that is an array
    void end();         ///< closes the innermost object or array

    /// A string member; `text` is escaped.
    void value(std::string_view key, std::string_view text);
    void value(std::string_view key, std::uint64_t number);
    /// A string member whose text needs no escaping (hex, decimal, addresses): faster.
    void plain(std::string_view key, std::string_view text);
    /// A string member holding `bytes` as uppercase hex (hashes, keys, signatures).
    void hex(std::string_view key, std::span<const std::uint8_t> bytes);
    /// An array element (string).
    void element(std::string_view text);
    /// A member that is an empty array or object: written as "".
    void empty(std::string_view key) { plain(key, ""); }
    /// Closes nothing; ends the document with the newline write_json adds.
    void finish();

private:
    struct level {
        bool is_array;
        bool has_members;
        std::size_t open_pos; // where '{' or '[' was written (to turn empty containers into "")
    };
    void member_prefix(std::string_view key);
    void element_prefix();
    void indent(std::size_t depth);

    std::string& out_;
    std::vector<level> stack_;
};

} // namespace ledgertap::sim::nano
