// SPDX-License-Identifier: Apache-2.0
// Interprets nvme-stas.conf and its drop-ins (nvme_stas_conf.h) in three steps: each section
// becomes a "level" of options checked where they are written (so that a bad value is reported
// once, at its own line); the [Host] sections are checked against each other; each controller=
// line then takes, option by option, the most specific level's value, and the entry it makes
// goes through CheckControllerEntry(), the check every stafd.conf/stacd.conf entry passes.
#include "common/config/nvme_stas_conf.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "common/config/host_identity.h"
#include "common/config/nvme_stas_conf_options.h"
#include "common/defs.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace stas_conf {
namespace {

constexpr std::string_view kZeroUuid = "00000000-0000-0000-0000-000000000000";

// The entries of one [section] header.
struct Instance {
  std::string name;
  int line = 0;
  std::vector<const IniEntry*> entries;
};

std::vector<Instance> Instances(const IniDocument& doc) {
  std::vector<Instance> out;
  for (const IniSection& s : doc.sections)
    out.push_back(Instance{s.name, s.line, {}});
  for (const IniEntry& e : doc.entries) {
    if (e.section_index >= 0 && static_cast<size_t>(e.section_index) < out.size())
      out[static_cast<size_t>(e.section_index)].entries.push_back(&e);
  }
  return out;
}

// The entries of `inst` that have a value; a repeated single-valued option is reported (the
// last one wins where it is used), as a bare name without '='.
std::vector<const IniEntry*> Options(const Instance& inst, ConfigReporter* rep) {
  std::vector<const IniEntry*> out;
  std::set<std::string> seen;
  for (const IniEntry* e : inst.entries) {
    const std::string where = "[" + inst.name + "] " + Printable(e->name);
    if (!e->value) {
      rep->Warn(e->line, where + " has no value; ignored");
      continue;
    }
    if (e->name != "controller" && !seen.insert(e->name).second)
      rep->Warn(e->line, where + " given twice in one section; the last one is used");
    out.push_back(e);
  }
  return out;
}

std::optional<std::string> SymnameProblem(std::string_view s) {
  if (s.size() > kMaxSymnameBytes)
    return "is longer than " + std::to_string(kMaxSymnameBytes) + " bytes";
  if (!IsPrintableAscii(s) || s.find(',') != std::string_view::npos)
    return std::string("is not printable ASCII without ','");
  return std::nullopt;
}

void SetIdentity(const IniEntry& e, StasConfHost* h, ConfigReporter* rep) {
  const std::string& v = *e.value;
  const std::string name = "[Host] " + e.name;
  std::optional<std::string>* field = e.name == "hostnqn"  ? &h->hostnqn
                                      : e.name == "hostid" ? &h->hostid
                                                           : &h->hostsymname;
  if (v.empty()) {
    field->reset();
    return;
  }
  std::optional<std::string> why;
  if (e.name == "hostnqn") {
    why = CheckNqn(v, true);
  } else if (e.name == "hostid") {
    why = CheckUuid(v);
    if (!why && ToLower(v) == kZeroUuid)
      why = "is the zero UUID";
  } else if (auto problem = SymnameProblem(v)) {
    // As for sys.conf's symname: it only names the host in DIM registrations.
    rep->Warn(e.line, name + " " + QuoteValue(v) + " " + *problem + "; ignored");
    return;
  }
  if (why)
    return rep->Error(e.line, name + " " + QuoteValue(v) + " " + *why);
  // The kernel reads a host ID either way; one case makes equal IDs compare equal.
  *field = e.name == "hostid" ? ToLower(v) : v;
}

StasConfHost ParseHost(const Instance& inst, const std::string& file, ConfigReporter* rep) {
  StasConfHost h;
  h.file = file;
  h.line = inst.line;
  const Place place{Where::kHost, false, std::string(kHostSection)};
  for (const IniEntry* e : Options(inst, rep)) {
    const KeySpec* k = FindKey(e->name);
    if (k == nullptr) {
      WarnUnknown(e->name, e->line, place, rep);
    } else if (k->kind == Kind::kIdentity) {
      SetIdentity(*e, &h, rep);
    } else if (k->kind == Kind::kSecret) {
      std::optional<std::string>* field =
          k->ours == "dhchap-secret" ? &h.dhchap_secret : &h.dhchap_ctrl_secret;
      if (e->value->empty()) {
        field->reset();
      } else if (auto why = CheckDhchapSecret(*e->value)) {
        rep->Error(e->line, "[Host] " + e->name + " " + *why);  // never the value
      } else {
        *field = *e->value;
      }
    } else if (k->kind == Kind::kUnsupported || k->kind == Kind::kTls) {
      // A TLS key for every subsystem of the host: not yet (per endpoint it is).
      rep->Warn(e->line, "[Host] " + e->name + " is not supported yet; ignored");
    } else {
      rep->Warn(e->line, "[Host] " + e->name + " is not a [Host] option; ignored");
    }
  }
  return h;
}

// A [Discovery Controller] or [Subsystem] section.
struct Endpoint {
  bool dc = false;
  std::string section;
  std::string nqn;
  Level options;
  std::vector<const IniEntry*> paths;
  bool usable = true;  // false: its nqn is an error, its paths are not looked at
};

Endpoint ParseEndpoint(const Instance& inst, ConfigReporter* rep) {
  Endpoint ep;
  ep.dc = inst.name == kDcSection;
  ep.section = inst.name;
  const Place place{Where::kEndpoint, ep.dc, inst.name};
  int nqn_line = inst.line;
  for (const IniEntry* e : Options(inst, rep)) {
    const KeySpec* k = FindKey(e->name);
    if (k == nullptr) {
      WarnUnknown(e->name, e->line, place, rep);
    } else if (k->kind == Kind::kController) {
      ep.paths.push_back(e);
    } else if (k->kind == Kind::kNqn) {
      ep.nqn = *e->value;  // checked below, once the last one is known
      nqn_line = e->line;
    } else {
      AddOption(*k, *e->value, e->line, place, &ep.options, rep);
    }
  }
  if (ep.nqn.empty() && ep.dc)
    ep.nqn = kWellKnownDiscoveryNqn;
  if (ep.nqn.empty()) {
    rep->Error(nqn_line, "[" + inst.name + "] has no nqn");
    ep.usable = false;
  } else if (auto why = CheckNqn(ep.nqn, false)) {
    rep->Error(nqn_line, "[" + inst.name + "] nqn " + QuoteValue(ep.nqn) + " " + *why);
    ep.usable = false;
  }
  return ep;
}

struct ParsedFile {
  std::string file;
  bool main = false;
  std::optional<StasConfHost> host;
  Level dc_defaults;
  Level io_defaults;
  std::vector<Endpoint> endpoints;
};

void ParseDefaults(const Instance& inst, bool dc, Level* level, ConfigReporter* rep) {
  const Place place{Where::kDefaults, dc, inst.name};
  for (const IniEntry* e : Options(inst, rep)) {
    if (const KeySpec* k = FindKey(e->name))
      AddOption(*k, *e->value, e->line, place, level, rep);
    else
      WarnUnknown(e->name, e->line, place, rep);
  }
}

ParsedFile ParseFile(const IniDocument& doc, bool main, ConfigReporter* rep) {
  ParsedFile f;
  f.file = doc.file;
  f.main = main;
  std::map<std::string, int> first_line;  // of each singleton section, and of unknown ones
  for (const Instance& inst : Instances(doc)) {
    const bool repeated = !first_line.emplace(inst.name, inst.line).second;
    const std::string again = "[" + Printable(inst.name) + "] appears again (first at line " +
                              std::to_string(first_line[inst.name]) + ")";
    if (inst.name == kHostSection) {
      if (repeated) {
        rep->Error(inst.line, again + "; a file has one [Host]");
        continue;
      }
      f.host = ParseHost(inst, doc.file, rep);
    } else if (inst.name == kDcDefaultsSection || inst.name == kIoDefaultsSection) {
      if (repeated)
        rep->Warn(inst.line, again + "; the two are merged");
      const bool dc = inst.name == kDcDefaultsSection;
      ParseDefaults(inst, dc, dc ? &f.dc_defaults : &f.io_defaults, rep);
    } else if (inst.name == kDcSection || inst.name == kSubsystemSection) {
      f.endpoints.push_back(ParseEndpoint(inst, rep));
    } else if (!repeated) {
      rep->Warn(inst.line, "unknown section [" + Printable(inst.name) + "]; ignored");
    }
  }
  if (f.host && f.host->hostnqn && !f.host->hostid)
    rep->Warn(f.host->line, "[Host] has no hostid (the kernel picks one at connect time)");
  if (!main && f.host && !f.host->hostnqn)
    rep->Error(f.host->line, "[Host] of a drop-in has no hostnqn");
  return f;
}

// Each [Host] is a host of its own: no two files share a host NQN or a host ID.
void CheckHosts(const std::vector<ParsedFile>& files, Diagnostics* out) {
  std::map<std::string, const StasConfHost*> by_nqn;
  std::map<std::string, const StasConfHost*> by_id;
  for (const ParsedFile& f : files) {
    if (!f.host)
      continue;
    const StasConfHost& h = *f.host;
    ConfigReporter rep(f.file, out);
    auto where = [](const StasConfHost* other) {
      return other->file + ":" + std::to_string(other->line);
    };
    if (h.hostnqn) {
      auto [it, fresh] = by_nqn.emplace(*h.hostnqn, &h);
      if (!fresh) {
        rep.Error(h.line, "[Host] hostnqn " + QuoteValue(*h.hostnqn) + " is also the one of " +
                              where(it->second) + "; each file's [Host] is another host");
      }
    }
    if (h.hostid) {
      auto [it, fresh] = by_id.emplace(*h.hostid, &h);
      if (!fresh && it->second->hostnqn != h.hostnqn) {
        rep.Error(h.line, "[Host] hostid " + QuoteValue(*h.hostid) + " is also the one of " +
                              where(it->second) + ", another hostnqn");
      }
    }
  }
}

// Turns one controller= line into the options of its own level, its transport and traddr.
void ParseLine(const Endpoint& ep, const IniEntry& e, ControllerEntry* c, Level* level,
               ConfigReporter* rep) {
  const Place place{Where::kLine, ep.dc, ep.section};
  std::set<std::string> seen;
  int field_no = 0;
  for (const std::string& field : SplitTrimmed(*e.value, ';')) {
    ++field_no;
    if (field.empty())
      continue;
    const size_t eq = field.find('=');
    if (eq == std::string::npos || Trim(std::string_view(field).substr(0, eq)).empty()) {
      // Not quoted: it may be a secret that lost its key.
      rep->Warn(e.line, place.Name("") + "field " + std::to_string(field_no) +
                            " is not key=value; ignored");
      continue;
    }
    const std::string key(Trim(std::string_view(field).substr(0, eq)));
    const std::string value(Trim(std::string_view(field).substr(eq + 1)));
    if (!seen.insert(key).second)
      rep->Warn(e.line, place.Name(key) + " given twice; the last one is used");
    if (IsSecurityKey(key)) {
      rep->Error(e.line, place.Name(key) + " is not allowed on a controller= line (it would be " +
                             "shown with the path); write it in the section");
      continue;
    }
    const KeySpec* k = FindKey(key);
    if (k == nullptr) {
      WarnUnknown(key, e.line, place, rep);
    } else if (k->kind == Kind::kPath) {
      (key == "transport" ? c->transport : c->traddr) = value;
    } else if (k->kind == Kind::kNqn) {
      if (value != ep.nqn) {
        rep->Error(e.line, place.Name(key) + " " + QuoteValue(value) +
                               " is not its section's nqn " + QuoteValue(ep.nqn));
      }
    } else if (k->kind == Kind::kController) {
      WarnUnknown(key, e.line, place, rep);
    } else {
      AddOption(*k, value, e.line, place, level, rep);
    }
  }
}

// One controller= path with its cascade applied, or nullopt if it has an error.
std::optional<StasConfController> MakePath(const Endpoint& ep, const IniEntry& e,
                                           const ParsedFile& f, const ParsedFile& main,
                                           ConfigReporter* rep) {
  if (Trim(*e.value).empty()) {
    // As an empty controller= of stafd.conf: a placeholder, not a path without an address.
    rep->Warn(e.line, "[" + ep.section + "] controller= is empty; ignored");
    return std::nullopt;
  }
  const size_t errors = rep->errors();
  StasConfController out;
  out.file = f.file;
  out.host = f.host;
  ControllerEntry& c = out.entry;
  c.line = e.line;
  c.subsysnqn = ep.nqn;
  Level own;
  // On an error, the rest is still checked, so that one pass reports every problem.
  ParseLine(ep, e, &c, &own, rep);
  std::vector<const Level*> levels = {&own, &ep.options, ep.dc ? &f.dc_defaults : &f.io_defaults};
  if (!f.main)
    levels.push_back(ep.dc ? &main.dc_defaults : &main.io_defaults);
  std::set<std::string> decided;
  for (const Level* level : levels) {
    for (const Setting& s : *level) {
      // An empty value decides too: the kernel's default, whatever a less specific level says.
      if (decided.insert(s.key).second && !s.value.empty())
        Apply(s, &c);
    }
  }
  if (f.host && f.host->hostnqn) {
    c.host_nqn = f.host->hostnqn;
    c.extras.emplace_back("host-nqn", *f.host->hostnqn);
  }
  for (Diagnostic& d : CheckControllerEntry(ep.dc ? Daemon::kStafd : Daemon::kStacd, &c,
                                            "[" + ep.section + "] controller=")) {
    rep->Add(d.severity, e.line, std::move(d.message));
  }
  if (rep->errors() != errors)
    return std::nullopt;
  return out;
}

// Diagnostics file by file, line by line, whichever step found them.
void SortByPlace(const std::vector<IniDocument>& files, Diagnostics* diags) {
  std::map<std::string, size_t> file_index;
  for (size_t i = 0; i < files.size(); ++i)
    file_index.emplace(files[i].file, i);
  auto rank = [&file_index](const Diagnostic& d) {
    auto it = file_index.find(d.file);
    return std::pair(it == file_index.end() ? 0 : it->second, d.line);
  };
  std::stable_sort(diags->begin(), diags->end(),
                   [&rank](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
}

}  // namespace
}  // namespace stas_conf

LoadedNvmeStasConf ParseNvmeStasConf(const std::vector<IniDocument>& files) {
  LoadedNvmeStasConf out;
  std::vector<stas_conf::ParsedFile> parsed;
  for (size_t i = 0; i < files.size(); ++i) {
    const IniDocument& doc = files[i];
    // A line the INI reader could not place (a malformed [section] header leaves the options
    // that follow it in the previous section) would give a path another nqn: an error.
    out.diagnostics.insert(out.diagnostics.end(), doc.problems.begin(), doc.problems.end());
    ConfigReporter rep(doc.file, &out.diagnostics);
    parsed.push_back(stas_conf::ParseFile(doc, i == 0, &rep));
  }
  stas_conf::CheckHosts(parsed, &out.diagnostics);
  NvmeStasConf conf;
  for (const stas_conf::ParsedFile& f : parsed) {
    conf.files.push_back(f.file);
    ConfigReporter rep(f.file, &out.diagnostics);
    for (const stas_conf::Endpoint& ep : f.endpoints) {
      if (!ep.usable)
        continue;
      for (const IniEntry* e : ep.paths) {
        if (auto path = stas_conf::MakePath(ep, *e, f, parsed.front(), &rep))
          (ep.dc ? conf.discovery_controllers : conf.subsystems).push_back(std::move(*path));
      }
    }
  }
  if (!parsed.empty())
    conf.host = parsed.front().host;
  stas_conf::SortByPlace(files, &out.diagnostics);
  const bool failed =
      std::any_of(out.diagnostics.begin(), out.diagnostics.end(),
                  [](const Diagnostic& d) { return d.severity == Severity::kError; });
  if (!failed)
    out.conf = std::move(conf);
  return out;
}

}  // namespace stas
