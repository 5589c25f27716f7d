// `llm_cost_exporter pricing import|diff`: flags, report, exit codes.
#include <ostream>
#include <sstream>

#include "llm_cost_exporter/catalogue.h"

namespace lce::catalogue {
namespace {

constexpr const char* kUsage =
    "usage: llm_cost_exporter pricing import|diff [--genai-prices=FILE] [--litellm=FILE] --pricing.dir=DIR\n"
    "         [--providers=a,b] [--effective-from=YYYY-MM-DD] [--prefer=genai-prices|litellm] [--dry-run]\n"
    "         [--emit-prefixes]\n\n"
    "  import  appends a version to each table whose catalogue prices changed (--dry-run: print only)\n"
    "  diff    prints what import would change; exit 0 no change, 1 changes, 2 error\n\n"
    "  --genai-prices=FILE    genai-prices data.json (v2)\n"
    "  --litellm=FILE         LiteLLM model_prices_and_context_window.json\n"
    "  --pricing.dir=DIR      the price tables to update\n"
    "  --providers=a,b        only these (provider names or file stems; default: all 15):\n"
    "                         anthropic azure bedrock cohere deepseek fireworks google groq mistral openai\n"
    "                         openrouter perplexity together vertex xai\n"
    "  --effective-from=DATE  date of undated prices (default: today, UTC)\n"
    "  --prefer=SOURCE        catalogue that wins a disagreement on a model the table lacks (genai-prices)\n"
    "  --emit-prefixes        write genai-prices starts_with rules as model prefixes\n";

struct Command {
  std::string verb;
  bool dry_run = false;
  bool help = false;
  ImportOptions options;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status SetFlag(Command& c, const std::string& name, const std::string& value) {
  if (name == "--genai-prices")
    c.options.genai_prices_file = value;
  else if (name == "--litellm")
    c.options.litellm_file = value;
  else if (name == "--pricing.dir")
    c.options.pricing_dir = value;
  else if (name == "--providers")
    c.options.providers = SplitList(value);
  else if (name == "--effective-from")
    c.options.effective_from = value;
  else if (name == "--prefer") {
    if (value != "genai-prices" && value != "litellm") {
      return Status::InvalidArgument("--prefer must be genai-prices or litellm");
    }
    c.options.prefer_litellm = value == "litellm";
  } else {
    return Status::InvalidArgument("unknown flag " + name + " (see --help)");
  }
  return Status::Ok();
}

Result<Command> ParseCommand(const std::vector<std::string>& args) {
  Command c;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h")
      c.help = true;
    else if (arg == "--dry-run")
      c.dry_run = true;
    else if (arg == "--emit-prefixes")
      c.options.emit_prefixes = true;
    else if (!arg.starts_with("--") && c.verb.empty())
      c.verb = arg;
    else {
      const std::size_t eq = arg.find('=');
      if (eq == std::string::npos && i + 1 >= args.size())
        return Status::InvalidArgument("flag " + arg + " needs a value");
      const std::string value = eq == std::string::npos ? args[++i] : arg.substr(eq + 1);
      if (Status s = SetFlag(c, arg.substr(0, eq), value); !s.ok()) return s;
    }
  }
  if (!c.help && c.verb != "import" && c.verb != "diff") {
    return Status::InvalidArgument("expected 'pricing import' or 'pricing diff' (see --help)");
  }
  return c;
}

// The appended (or new) lines of each change, diff style.
void PrintChanges(const ImportPlan& plan, const std::string& dir, std::ostream& out) {
  for (const FileChange& change : plan.changes) {
    const std::string path = dir + "/" + change.file;
    out << "--- " << (change.is_new ? "/dev/null" : path) << "\n+++ " << path << "\n";
    std::stringstream added(change.text.substr(change.old_size));
    for (std::string line; std::getline(added, line);) out << "+" << line << "\n";
  }
}

}  // namespace

int RunPricingCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Result<Command> command = ParseCommand(args);
  if (!command.ok()) {
    err << "llm_cost_exporter pricing: " << command.status().message() << "\n";
    return 2;
  }
  if (command->help) {
    out << kUsage;
    return 0;
  }
  Result<ImportPlan> plan = PlanImport(command->options);
  if (!plan.ok()) {
    err << "llm_cost_exporter pricing " << command->verb << ": " << plan.status().message() << "\n";
    return 2;
  }
  out << plan->report;
  const bool write = command->verb == "import" && !command->dry_run;
  if (!write) PrintChanges(*plan, command->options.pricing_dir, out);
  if (!plan->loads.ok()) {
    err << "llm_cost_exporter pricing " << command->verb << ": " << plan->loads.message() << "\n";
    return 2;
  }
  if (!write) return command->verb == "diff" && !plan->changes.empty() ? 1 : 0;
  if (Status s = ApplyImport(*plan, command->options.pricing_dir); !s.ok()) {
    err << "llm_cost_exporter pricing import: " << s.message() << "\n";
    return 2;
  }
  out << plan->changes.size() << " file(s) written\n";
  return 0;
}

}  // namespace lce::catalogue
