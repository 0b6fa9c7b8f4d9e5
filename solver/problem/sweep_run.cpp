#include "solver/problem/sweep_run.hpp"

#include <algorithm>

#include "solver/problem/cell_range.hpp"
#include "solver/problem/sweep_plan.hpp"

namespace ionflux {
namespace {

//! Passes chunks on with their rows moved by `shift` (a range's chunk into the file).
class ShiftedSink : public ChunkSink {
 public:
  ShiftedSink(ChunkSink& next, std::size_t shift) : next_(next), shift_(shift) {}
  void write_chunk(const ChunkData& chunk) override {
    if (shift_ == 0) return next_.write_chunk(chunk);
    ChunkData c = chunk;
    c.first += shift_;
    next_.write_chunk(c);
  }
  void take_chunk(ChunkData&& chunk) override {
    chunk.first += shift_;
    next_.take_chunk(std::move(chunk));
  }

 private:
  ChunkSink& next_;
  std::size_t shift_;
};

void add_counts(BatchSummary& into, const BatchSummary& s) {
  if (into.count_by_status.size() < s.count_by_status.size()) into.count_by_status.resize(s.count_by_status.size());
  for (std::size_t k = 0; k < s.count_by_status.size(); ++k) into.count_by_status[k] += s.count_by_status[k];
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> cells_to_run(const std::vector<int>& status_in_file) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t i = 0; i < status_in_file.size();) {
    if (status_in_file[i] != kStatusNotRun) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < status_in_file.size() && status_in_file[j] == kStatusNotRun) ++j;
    ranges.emplace_back(i, j);
    i = j;
  }
  return ranges;
}

BatchSummary run_sweep_cells(const BatchInputs& inputs, BatchOptions opt, ResultSink& sink, const KeptCells* kept) {
  if (!kept) return run_batch(inputs, opt, &sink);  // init failures name their cause (run_batch)
  const std::size_t n = inputs.size();
  BatchSummary total = kept->counts;  // the file's cells, counted when it was reopened
  std::size_t in_file = 0;
  for (const int st : kept->status) in_file += st != kStatusNotRun;
  const auto progress = opt.progress;
  std::size_t done_before = in_file;  // cells finished before the current range
  double elapsed_before = 0.0;
  bool first = true;
  for (const auto& [a, b] : cells_to_run(kept->status)) {
    const bool cancelled = opt.cancel && opt.cancel->load();
    if (cancelled) {
      total.not_run += b - a;
      total.cancelled = true;
      continue;
    }
    const BatchInputs range = batch_cell_range(inputs, CellRange{a, b});
    if (progress)
      opt.progress = [&, progress](const Progress& p) { progress(Progress{done_before + p.done, n, elapsed_before + p.elapsed_s, in_file}); };
    ShiftedSink shifted(sink, a);
    const BatchSummary s = run_batch(range, opt, &shifted);
    add_counts(total, s);
    if (first) {
      total.device_used = s.device_used;
      total.device_description = s.device_description;
      total.bytes_per_cell = s.bytes_per_cell;
      first = false;
    }
    total.chunks += s.chunks;
    total.wall_time += s.wall_time;
    total.not_run += s.not_run;
    total.handed_to_cpu += s.handed_to_cpu;
    total.taken_by_cpu += s.taken_by_cpu;
    total.device_slots = std::max(total.device_slots, s.device_slots);
    total.slot_refills += s.slot_refills;
    total.cells_loaded_ahead += s.cells_loaded_ahead;
    total.launches += s.launches;
    total.protocol_cut_short += s.protocol_cut_short;
    if (s.cells_with_skipped_steps &&
        (!total.cells_with_skipped_steps || a + s.first_skipping_cell < total.first_skipping_cell))
      total.first_skipping_cell = a + s.first_skipping_cell;
    total.cells_with_skipped_steps += s.cells_with_skipped_steps;
    total.cancelled = total.cancelled || s.cancelled;
    done_before += (b - a) - s.not_run;
    elapsed_before += s.wall_time;
  }
  if (first) {  // nothing left to run
    total.device_description = "none (every cell was already in the file)";
    total.bytes_per_cell = bytes_per_cell(inputs);
    if (progress) progress(Progress{n, n, 0.0, in_file});
  }
  return total;
}

}  // namespace ionflux
