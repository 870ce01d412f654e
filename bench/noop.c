/* The floor: a static binary that does nothing. What any exec'd plugin costs at least. */
int main(void) { return 0; }
