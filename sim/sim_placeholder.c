/* Placeholder until the SimGrid backend lands. */
int ps_sim_placeholder;
